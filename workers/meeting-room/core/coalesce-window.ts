/**
 * How long a room under load holds a socket's frames before sending them as one message. Every send costs the
 * runtime about the same whatever it carries, and a room flushing each of its sockets every window sends
 * sockets × 1000 / window messages a second: the window grows with the room so that stays near
 * `sendsPerSecond` (the minimal broadcasting DO of `npm run bench` tops out at a few times that; at 10,000 a
 * second the sends alone took about 30 % of a 300-person room's thread), between a floor that keeps small rooms
 * snappy and a ceiling that bounds the latency it adds. A quiet room never waits
 * (room-sockets.ts sends at the end of the turn when the last flush is older than the window).
 * The sockets are dealt into `sendGroups` groups that flush at staggered moments of the window (shell/send-group.ts):
 * the same sends, spread, so neither the room's thread nor its clients take the whole room's messages at once.
 */
export const coalesceWindow = { minMs: 10, maxMs: 45, sendsPerSecond: 8_000, sendGroups: 8 } as const;

export function coalesceWindowMs(sockets: number): number {
  const { minMs, maxMs, sendsPerSecond } = coalesceWindow;
  return Math.min(maxMs, Math.max(minMs, Math.ceil((sockets * 1000) / sendsPerSecond)));
}
