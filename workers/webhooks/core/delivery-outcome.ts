import { nextAttempt, retryAfterSeconds, type RetrySchedule } from "./retry-schedule.ts";

/** What one HTTP attempt came back with. `failure` is set when no HTTP answer came at all. */
export interface AttemptAnswer {
  statusCode: number | null;
  failure: "timeout" | "connection_failed" | null;
  retryAfter: string | null;
}

export interface EndpointHealth {
  /** First failure since the last success (ms), null while the endpoint answers. */
  failingSince: number | null;
  disableAfterSeconds: number;
}

/** What to do with a delivery, and with its endpoint, after one attempt. */
export interface Settlement {
  delivery: { status: "delivered" } | { status: "failed"; nextAttemptAt: number } | { status: "dead" };
  /** Why the attempt failed, in our words (null when delivered): stored on the attempt and the delivery. */
  error: string | null;
  /** The endpoint's failing-since after this attempt. */
  failingSince: number | null;
  /** Set when the endpoint must be disabled now. */
  disable: "gone" | "failing" | null;
}

/**
 * Decides an attempt: any 2xx delivers; anything else fails (3xx too: redirects are never followed), 410 disables the
 * endpoint at once, and an endpoint still failing `disableAfterSeconds` after its first failure is disabled.
 * `attempts` counts this attempt.
 */
export function settleAttempt(
  answer: AttemptAnswer,
  attempts: number,
  health: EndpointHealth,
  schedule: RetrySchedule,
  now: number,
  random: () => number = Math.random,
): Settlement {
  const code = answer.statusCode;
  if (code !== null && code >= 200 && code < 300) {
    return { delivery: { status: "delivered" }, error: null, failingSince: null, disable: null };
  }
  const error = answer.failure ?? (code !== null && code >= 300 && code < 400 ? "redirect" : `http_${code}`);
  const failingSince = health.failingSince ?? now;
  const next = nextAttempt(schedule, attempts, now, retryAfterSeconds(answer.retryAfter, now), random);
  const delivery = next.kind === "dead" ? ({ status: "dead" } as const) : ({ status: "failed", nextAttemptAt: next.at } as const);
  const disable = code === 410 ? "gone" : now - failingSince >= health.disableAfterSeconds * 1000 ? "failing" : null;
  return { delivery, error, failingSince, disable };
}
