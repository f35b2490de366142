import type { AnalyticsSample, IngestResult } from "../../protocol/analytics-batch.ts";
import { dedupeBy } from "./dedupe.ts";
import {
  type BatchIdentity,
  type EventRow,
  eventRow,
  identityOf,
  type SampleRow,
  type SessionRow,
  sampleRow,
  sessionRow,
} from "./normalize.ts";
import { batchObjectKeys, groupByObjectKey } from "./partition.ts";
import { encodeSamples } from "./sample-parquet.ts";
import { validateBatch } from "./validate.ts";

/**
 * One invocation: validate, normalise, deduplicate, store in Postgres (exactly once, with the rollups), then write
 * the Parquet of the samples this batch owns. Takes its Postgres and S3 as ports; handler.ts passes the real ones.
 * Bad data is an answer (`invalid_event`, or records in `rejected`); a port's failure is thrown, so the room retries.
 */

/** A validated, normalised batch for the store. */
export interface BatchWrite {
  identity: BatchIdentity;
  createdAt: number;
  samples: SampleRow[];
  events: EventRow[];
  sessions: SessionRow[];
  rejected: number;
  droppedSamples: number;
}

export interface StoreOutcome {
  /** False when the batch was stored before (a redelivery): nothing was written this time. */
  newBatch: boolean;
  stored: { samples: number; events: number; sessions: number };
  /** The samples whose stored row belongs to this batch (inserted now or by an earlier delivery of it). */
  ownedSampleIds: ReadonlySet<string>;
}

export interface AnalyticsStore {
  /**
   * `meanwhile` (which must not throw) is called once, as soon as the batch's statement is on its way to the
   * database, so the caller's CPU work overlaps the database's instead of following it.
   */
  store(write: BatchWrite, meanwhile?: () => void): Promise<StoreOutcome>;
}

export interface ObjectWriter {
  put(key: string, body: Uint8Array): Promise<void>;
}

export interface IngestPorts {
  store: AnalyticsStore;
  objects: ObjectWriter;
}

/** The Parquet objects of a batch's owned samples (the ledger lists the same keys). */
export const objectKeysOf = (identity: BatchIdentity, samples: readonly { receivedAt: number }[]): string[] => {
  const keyOf = batchObjectKeys(identity.tenantId, identity.batchId);
  return [...groupByObjectKey(samples, (s) => keyOf(s.receivedAt)).keys()];
};

export interface Ingested {
  result: IngestResult;
  /** For the log line: whether this delivery was the batch's first. */
  newBatch: boolean | null;
}

export async function ingest(event: unknown, ports: IngestPorts): Promise<Ingested> {
  const validation = validateBatch(event);
  if (!validation.ok) return { result: validation, newBatch: null };
  const { envelope, rejected } = validation.batch;
  const identity = identityOf(envelope);

  const samples = dedupeBy(
    validation.batch.samples.map((s) => s.record),
    (s) => s.sampleId.toLowerCase(),
  );
  const events = dedupeBy(
    validation.batch.events.map((e) => e.record),
    (e) => e.eventId.toLowerCase(),
  );
  const sessions = dedupeBy(
    validation.batch.sessions.map((s) => s.record),
    (s) => s.sessionId.toLowerCase(),
  );
  // Encoded while the transaction runs (CPU beside the database's I/O), uploaded only after its commit, and only if
  // every sample turned out to be this batch's (the usual case); otherwise the owned ones are encoded again.
  let early: Map<string, Uint8Array> | undefined;
  const outcome = await ports.store.store(
    {
      identity,
      createdAt: envelope.createdAt,
      samples: samples.kept.map((s) => sampleRow(identity, s)),
      events: events.kept.map((e) => eventRow(identity, e)),
      sessions: sessions.kept.map((s) => sessionRow(identity, s)),
      rejected: rejected.length,
      droppedSamples: envelope.droppedSamples,
    },
    () => {
      try {
        early = parquetObjects(identity, samples.kept);
      } catch {
        // Encoded again below, after the commit, where a failure fails the invocation.
      }
    },
  );

  // Only after the commit: a crash before the upload is repaired by the retry, which finds the same owned samples.
  const owned = samples.kept.filter((s) => outcome.ownedSampleIds.has(s.sampleId.toLowerCase()));
  // `owned` is `kept` filtered, so the same length means the same samples in the same order: the same bytes.
  const encoded = early && owned.length === samples.kept.length ? early : parquetObjects(identity, owned);
  // Every upload settles before the invocation answers: a failure must not leave another still retrying, to land
  // after the room was told the batch failed (its retry then finds objects it was told were never written).
  const uploads = await Promise.allSettled([...encoded].map(([key, body]) => ports.objects.put(key, body)));
  const failedUpload = uploads.find((upload) => upload.status === "rejected");
  if (failedUpload) throw failedUpload.reason;
  const objects = [...encoded.keys()];

  const valid = samples.kept.length + events.kept.length + sessions.kept.length;
  const storedCount = outcome.stored.samples + outcome.stored.events + outcome.stored.sessions;
  return {
    newBatch: outcome.newBatch,
    result: {
      ok: true,
      batchId: identity.batchId,
      stored: outcome.stored,
      duplicates: samples.duplicates + events.duplicates + sessions.duplicates + (valid - storedCount),
      rejected,
      objects,
    },
  };
}

/** The Parquet object of each hour of the samples, by key (keys sorted). */
function parquetObjects(identity: BatchIdentity, samples: AnalyticsSample[]): Map<string, Uint8Array> {
  const keyOf = batchObjectKeys(identity.tenantId, identity.batchId);
  const groups = groupByObjectKey(samples, (s) => keyOf(s.receivedAt));
  return new Map([...groups].map(([key, group]) => [key, encodeSamples(identity, group)]));
}
