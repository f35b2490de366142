/**
 * When a failed delivery is tried again. The default is the Standard Webhooks schedule: immediately, then
 * 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and 24 h after the previous try; after the last it is dead.
 * Each wait gets up to `jitter` extra so an endpoint that comes back is not hit by every lane at the same instant.
 */
export interface RetrySchedule {
  /** Seconds to wait before attempt n+1 (index 0 is the first attempt: always immediate). */
  delaysSeconds: readonly number[];
  /** Fraction of a wait added at random (0.1: up to 10% later). */
  jitter: number;
}

export const standardRetrySchedule: RetrySchedule = {
  delaysSeconds: [0, 5, 300, 1_800, 7_200, 18_000, 36_000, 50_400, 72_000, 86_400],
  jitter: 0.1,
};

/** Longest wait a receiver's Retry-After can ask for; longer asks are capped, not obeyed. */
export const maxRetryAfterSeconds = 86_400;

export type NextAttempt = { kind: "retry"; at: number } | { kind: "dead" };

/**
 * After the `attempts`-th failed attempt: when to try again, or dead once the schedule has run out. A Retry-After
 * from the receiver replaces the scheduled wait (capped), jitter included.
 */
export function nextAttempt(
  schedule: RetrySchedule,
  attempts: number,
  failedAt: number,
  retryAfterSeconds: number | null,
  random: () => number = Math.random,
): NextAttempt {
  if (attempts >= schedule.delaysSeconds.length) return { kind: "dead" };
  const scheduled = schedule.delaysSeconds[attempts] ?? 0;
  const wait = retryAfterSeconds === null ? scheduled : Math.min(Math.max(retryAfterSeconds, 0), maxRetryAfterSeconds);
  return { kind: "retry", at: failedAt + Math.round(wait * 1000 * (1 + schedule.jitter * random())) };
}

/**
 * Reads a schedule from configuration: comma-separated seconds (`0,5,300,…`). The local stack uses a compressed one so
 * its tests see a whole schedule in seconds; production leaves it unset and gets the standard schedule.
 */
export function parseRetrySchedule(text: string | undefined): RetrySchedule {
  if (!text?.trim()) return standardRetrySchedule;
  const delays = text.split(",").map((part) => Number(part.trim()));
  if (delays.length === 0 || delays.some((d) => !Number.isFinite(d) || d < 0)) {
    throw new Error("WEBHOOK_RETRY_SCHEDULE must be comma-separated non-negative seconds");
  }
  return { delaysSeconds: delays, jitter: standardRetrySchedule.jitter };
}

/** Reads Retry-After as seconds (delta-seconds or an HTTP date); null when absent or unreadable. */
export function retryAfterSeconds(header: string | null, now: number): number | null {
  if (!header) return null;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}
