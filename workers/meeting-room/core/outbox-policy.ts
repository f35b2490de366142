import { z } from "zod";

/**
 * When a room's outbox (chat, records) retries a write to Postgres, and when it gives a record up. Pure.
 *
 * Two kinds of failure: one that says "this record can't be written" (Postgres answered and refused it:
 * a data or integrity error, a trigger raising) counts toward that record's limit, with exponential backoff,
 * and at the limit the record is dead-lettered so it never blocks the ones behind it. One that says "nothing
 * can be written right now" (unreachable, overloaded, or refusing every write: a missing table, permissions)
 * counts toward nothing: the whole outbox waits, so an outage or a bad deploy never dead-letters good records.
 */
export type WriteFailure = "record" | "database";

/**
 * SQLSTATE classes in which Postgres refused the statement for what it wrote: 22 data exception, 23 integrity
 * violation, P0 raised by a function or trigger. Everything else (08 connection, 53 resources, 57 operator
 * intervention, 40 rollback, 42 schema/permissions, XX internal) says nothing against one record.
 */
const recordClasses = new Set(["22", "23", "P0"]);

/**
 * `databaseAnswered`: for a failure without a SQLSTATE (it never reached Postgres as a statement: a broken
 * connection, or our own code refusing the record), whether the database answered a probe right after.
 */
export function classifyWriteFailure(sqlState: string | undefined, databaseAnswered: boolean): WriteFailure {
  if (sqlState === undefined) return databaseAnswered ? "record" : "database";
  return recordClasses.has(sqlState.slice(0, 2)) ? "record" : "database";
}

export const retryStateSchema = z.object({
  /** Record-specific failures so far. */
  attempts: z.number().int().min(1),
  /** Not tried again before this time (ms). */
  nextAttemptAt: z.number(),
  /** The last failure's class (`sqlstate:23514`, `RangeError`): never its message, which may hold the record. */
  lastError: z.string().max(100),
});
export type RetryState = z.infer<typeof retryStateSchema>;

/** Each outbox's retry states by record key, as stored. */
export const retryMapSchema = z.record(z.string(), retryStateSchema);

export interface RetryPolicy {
  /** Record-specific failures after which a record is dead-lettered. */
  maxAttempts: number;
  /** Backoff after a record's first failure; doubles per failure up to `maxDelayMs`. */
  firstDelayMs: number;
  maxDelayMs: number;
  /** Wait after the database failed the outbox as a whole; doubles per consecutive failure up to `outageMaxDelayMs`. */
  outageFirstDelayMs: number;
  outageMaxDelayMs: number;
  /** Alarm fallback for records that have not been tried yet (their flush starts at once; this covers an eviction). */
  fallbackMs: number;
}

export const outboxRetryPolicy: RetryPolicy = {
  maxAttempts: 4,
  firstDelayMs: 1_000,
  maxDelayMs: 60_000,
  outageFirstDelayMs: 2_000,
  outageMaxDelayMs: 15_000,
  fallbackMs: 2_000,
};

export type FailureDecision = { kind: "retry"; retry: RetryState } | { kind: "dead_letter"; attempts: number };

/** After a record-specific failure: try again after a backoff, or, at the limit, dead-letter it. */
export function afterRecordFailure(
  previous: RetryState | undefined,
  lastError: string,
  now: number,
  policy: RetryPolicy = outboxRetryPolicy,
): FailureDecision {
  const attempts = (previous?.attempts ?? 0) + 1;
  if (attempts >= policy.maxAttempts) return { kind: "dead_letter", attempts };
  const delay = Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** (attempts - 1));
  return { kind: "retry", retry: { attempts, nextAttemptAt: now + delay, lastError } };
}

/** How long the whole outbox waits after its `consecutive`-th failure to reach the database (1-based). */
export function outageDelayMs(consecutive: number, policy: RetryPolicy = outboxRetryPolicy): number {
  return Math.min(policy.outageMaxDelayMs, policy.outageFirstDelayMs * 2 ** (Math.max(1, consecutive) - 1));
}

export const isDue = (retry: RetryState | undefined, now: number): boolean => retry === undefined || retry.nextAttemptAt <= now;

/**
 * The records a flush may write now, in order. An ordered outbox (participant records: a leave must never
 * overtake its join) stops at the first record still backing off; an unordered one (chat rows, each upserted
 * by its own seq) lets the others past it.
 */
export function dueRecords<T>(
  pending: readonly T[],
  keyOf: (item: T) => string,
  retries: ReadonlyMap<string, RetryState>,
  now: number,
  ordered: boolean,
): T[] {
  const due: T[] = [];
  for (const item of pending) {
    if (isDue(retries.get(keyOf(item)), now)) due.push(item);
    else if (ordered) break;
  }
  return due;
}

export interface OutboxTiming {
  pendingKeys: readonly string[];
  retries: ReadonlyMap<string, RetryState>;
  ordered: boolean;
  /** A flush is running: if its isolate dies with it, the alarm must still come back. */
  inFlight: boolean;
  /** After a database-wide failure: no alarm retry before this (null: not waiting). */
  waitUntil: number | null;
  now: number;
}

/** When the outbox next needs the room's alarm; null when it holds nothing. */
export function outboxDueAt(timing: OutboxTiming, policy: RetryPolicy = outboxRetryPolicy): number | null {
  const { pendingKeys, retries, ordered, inFlight, waitUntil, now } = timing;
  if (pendingKeys.length === 0) return null;
  if (inFlight) return now + policy.fallbackMs;
  const keys = ordered ? pendingKeys.slice(0, 1) : pendingKeys;
  let due = Number.POSITIVE_INFINITY;
  for (const key of keys) due = Math.min(due, retries.get(key)?.nextAttemptAt ?? now + policy.fallbackMs);
  return waitUntil === null ? due : Math.max(due, waitUntil);
}
