/**
 * Delay before reconnect attempt `attempt` (0-based): exponential from 500 ms, capped at 10 s, with jitter
 * between half and the full delay so a room full of clients dropped by one blip does not return in lockstep.
 */
export function reconnectDelayMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(10_000, 500 * 2 ** Math.max(0, attempt));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}
