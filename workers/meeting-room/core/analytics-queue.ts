import { z } from "zod";
import { utf8Length } from "../../../protocol/utf8-length.ts";

/**
 * The room's queue of call-quality records on their way to the ingestion function: records collect in an open
 * batch, which closes when it is full or old enough; closed batches wait in the room's storage until the function
 * has stored them. Pure: the shell (shell/analytics-outbox.ts) keeps the batches and does the sending.
 *
 * Samples are the bulky, expendable part: when ingestion is down long enough for the queue to reach its bound,
 * the oldest batches lose their samples (counted, and reported in the next batch) while their events and
 * sessions, a few per participant, are kept.
 */

export type AnalyticsList = "samples" | "events" | "sessions";

export interface AnalyticsQueuePolicy {
  /** Records in one batch (samples + events + sessions), at most protocol/analytics-batch.ts `maxBatchRecords`. */
  maxBatchRecords: number;
  /**
   * A batch closes once its records' JSON reaches this size: a stored batch is one Durable Object value (2 MB at
   * most) and one Invoke payload (6 MB), and a sample with 64 tracks is ~18 KB, so the count alone can't keep it
   * small. One record is at most a frame (64 KiB), so a batch never passes this by more than that.
   */
  maxBatchBytes: number;
  /** An open batch closes this long after its first record, full or not. */
  maxBatchAgeMs: number;
  /** Samples the closed batches may hold between them while ingestion is down. */
  maxQueuedSamples: number;
  /** Retry backoff after a failed invocation: base · 2^(failures−1), capped. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** Failures after which a batch the function keeps failing on, while it stores others, is set aside. */
  poisonAfterFailures: number;
  /** Batches sent at once. */
  concurrency: number;
}

export const defaultAnalyticsQueuePolicy: AnalyticsQueuePolicy = {
  // A 500-sample batch of typical samples is ~350 KB; larger batches cost the function less per sample.
  maxBatchRecords: 500,
  maxBatchBytes: 1_000_000,
  maxBatchAgeMs: 10_000,
  // 100 batches of 200: at a sample per participant per 5 s, a 100-person meeting's 8 minutes.
  maxQueuedSamples: 20_000,
  retryBaseMs: 1_000,
  retryMaxMs: 60_000,
  poisonAfterFailures: 8,
  concurrency: 2,
};

export interface OpenBatch {
  openedAt: number;
  /** The region its records arrived under: a batch has one, so the room closes it when the meeting moves. */
  region: string;
  /** The records' JSON size so far (UTF-8 bytes). */
  bytes: number;
  samples: unknown[];
  events: unknown[];
  sessions: unknown[];
}

/** A closed batch as the room stores it: the invocation's records plus its retry state. */
export const QueuedBatch = z.object({
  batchId: z.uuid(),
  createdAt: z.number().int(),
  region: z.string(),
  droppedSamples: z.number().int().min(0),
  samples: z.array(z.unknown()),
  events: z.array(z.unknown()),
  sessions: z.array(z.unknown()),
  failures: z.number().int().min(0),
  /** When the first failure of this batch happened (null: none yet). */
  firstFailedAt: z.number().int().nullable(),
  /** No invocation before this time. */
  nextAttemptAt: z.number().int(),
});
export type QueuedBatch = z.infer<typeof QueuedBatch>;

/** Counters kept across batches: samples dropped and not yet reported, and totals for the room's status. */
export const AnalyticsCounters = z.object({
  unreportedDrops: z.number().int().min(0),
  droppedSamples: z.number().int().min(0),
  deadBatches: z.number().int().min(0),
  storedBatches: z.number().int().min(0),
  /** The last time the function stored a batch of this room (null: never). */
  lastStoredAt: z.number().int().nullable(),
});
export type AnalyticsCounters = z.infer<typeof AnalyticsCounters>;

export const emptyCounters: AnalyticsCounters = {
  unreportedDrops: 0,
  droppedSamples: 0,
  deadBatches: 0,
  storedBatches: 0,
  lastStoredAt: null,
};

export function append(open: OpenBatch | null, list: AnalyticsList, record: unknown, now: number, region: string): OpenBatch {
  const batch = open ?? { openedAt: now, region, bytes: 0, samples: [], events: [], sessions: [] };
  batch[list].push(record);
  batch.bytes += utf8Length(JSON.stringify(record));
  return batch;
}

export function recordCount(batch: Pick<OpenBatch, AnalyticsList>): number {
  return batch.samples.length + batch.events.length + batch.sessions.length;
}

export function isFull(open: OpenBatch, policy: AnalyticsQueuePolicy): boolean {
  return recordCount(open) >= policy.maxBatchRecords || open.bytes >= policy.maxBatchBytes;
}

export function closesAt(open: OpenBatch, policy: AnalyticsQueuePolicy): number {
  return open.openedAt + policy.maxBatchAgeMs;
}

/** Closes the open batch; the drops not yet reported travel with it. */
export function close(
  open: OpenBatch,
  closing: { batchId: string; now: number; counters: AnalyticsCounters },
): { batch: QueuedBatch; counters: AnalyticsCounters } {
  const batch: QueuedBatch = {
    batchId: closing.batchId,
    createdAt: closing.now,
    region: open.region,
    droppedSamples: closing.counters.unreportedDrops,
    samples: open.samples,
    events: open.events,
    sessions: open.sessions,
    failures: 0,
    firstFailedAt: null,
    nextAttemptAt: closing.now,
  };
  return { batch, counters: { ...closing.counters, unreportedDrops: 0 } };
}

/**
 * Keeps the queued samples within the bound by emptying the oldest batches' samples first. Returns the batches it
 * changed (to store again), those left with no record at all (to delete: their own drop count goes back to the
 * unreported ones), and how many samples went; the caller adds those to the next batch's drop count.
 */
export function enforceBound(
  queue: readonly QueuedBatch[],
  policy: AnalyticsQueuePolicy,
): { changed: QueuedBatch[]; emptied: QueuedBatch[]; dropped: number } {
  let excess = queue.reduce((sum, batch) => sum + batch.samples.length, 0) - policy.maxQueuedSamples;
  const changed: QueuedBatch[] = [];
  const emptied: QueuedBatch[] = [];
  let dropped = 0;
  for (const batch of [...queue].sort((a, b) => a.createdAt - b.createdAt)) {
    if (excess <= 0) break;
    if (!batch.samples.length) continue;
    const cut = Math.min(excess, batch.samples.length);
    const kept = { ...batch, samples: batch.samples.slice(cut) };
    if (recordCount(kept) === 0) emptied.push(kept);
    else changed.push(kept);
    dropped += cut;
    excess -= cut;
  }
  return { changed, emptied, dropped };
}

/** The batches to invoke now: due ones, oldest first, up to the free slots. */
export function dueBatches(
  queue: readonly QueuedBatch[],
  inFlight: ReadonlySet<string>,
  now: number,
  policy: AnalyticsQueuePolicy,
): QueuedBatch[] {
  const slots = policy.concurrency - inFlight.size;
  if (slots <= 0) return [];
  return queue
    .filter((batch) => !inFlight.has(batch.batchId) && batch.nextAttemptAt <= now)
    .sort((a, b) => a.createdAt - b.createdAt)
    .slice(0, slots);
}

/**
 * After an invocation failed (the function threw, or could not be reached): retry with backoff, or set the batch
 * aside when it keeps failing although the function has stored other batches since its first failure (it is the
 * batch, not an outage). During an outage nothing is set aside: the bound decides what is lost.
 */
export function afterFailure(
  batch: QueuedBatch,
  now: number,
  lastStoredAt: number | null,
  policy: AnalyticsQueuePolicy,
): { kind: "retry"; batch: QueuedBatch } | { kind: "dead" } {
  const failures = batch.failures + 1;
  const firstFailedAt = batch.firstFailedAt ?? now;
  const othersStored = lastStoredAt !== null && lastStoredAt > firstFailedAt;
  if (failures >= policy.poisonAfterFailures && othersStored) return { kind: "dead" };
  const backoff = Math.min(policy.retryMaxMs, policy.retryBaseMs * 2 ** Math.min(failures - 1, 30));
  return { kind: "retry", batch: { ...batch, failures, firstFailedAt, nextAttemptAt: now + backoff } };
}

/** When the queue next needs the room's alarm: the open batch closing, or a batch's retry (null: nothing to do). */
export function queueDueAt(
  open: OpenBatch | null,
  queue: readonly QueuedBatch[],
  inFlight: ReadonlySet<string>,
  policy: AnalyticsQueuePolicy,
): number | null {
  const times = queue.filter((batch) => !inFlight.has(batch.batchId)).map((batch) => batch.nextAttemptAt);
  if (open) times.push(closesAt(open, policy));
  return times.length ? Math.min(...times) : null;
}
