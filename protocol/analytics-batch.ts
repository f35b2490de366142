import { z } from "zod";
import { ConnectionQuality } from "./call-quality.ts";
import { MeetingId, TenantId } from "./ids.ts";
import { QualityEventFigures, QualitySampleFigures } from "./quality-telemetry.ts";
import { storableLine } from "./text.ts";

/**
 * What a meeting room hands the analytics ingestion function (the Lambda's invocation event) and what the
 * function answers. The room stamps each record with who sent it and when it arrived, and rates each sample
 * with protocol/call-quality.ts, so the score stored is the score the roster showed.
 *
 * Records are validated again by the function one by one (a bad one is reported by its index and the rest are
 * stored), so `samples` and `events` are arrays of unknown here and the per-record schemas below apply to each.
 */

/** Ms since the epoch, within four-digit years (the Parquet keys' `date=YYYY-MM-DD`, a valid `Date`). */
const epochMs = z
  .number()
  .int()
  .min(0)
  .max(Date.UTC(9999, 11, 31));

/** Who sent a record and when the room received it (ms since the epoch, the room's clock). */
const stamped = {
  // Stored as Postgres text: a NUL would fail the whole batch on every retry instead of rejecting one record.
  participant: storableLine().min(1).max(128),
  receivedAt: epochMs,
};

export const AnalyticsSample = QualitySampleFigures.extend({
  ...stamped,
  /** The room's rating of this sample (protocol/call-quality.ts `sampleQuality`); null when it had no tracks. */
  mos: z.number().min(1).max(4.5).nullable(),
  quality: ConnectionQuality.nullable(),
});
export type AnalyticsSample = z.infer<typeof AnalyticsSample>;

export const AnalyticsEvent = z.intersection(QualityEventFigures, z.object(stamped));
export type AnalyticsEvent = z.infer<typeof AnalyticsEvent>;

/** A participant's time in the meeting, sent when they leave (meeting minutes, call duration, active users). */
export const AnalyticsSession = z
  .object({
    /** The room's participant-session id: the same session sent twice is counted once. */
    sessionId: z.uuid(),
    participant: stamped.participant,
    joinedAt: epochMs,
    leftAt: epochMs,
  })
  .refine((s) => s.leftAt >= s.joinedAt, { message: "leftAt must not be before joinedAt", path: ["leftAt"] });
export type AnalyticsSession = z.infer<typeof AnalyticsSession>;

export const maxBatchRecords = 500;

export const AnalyticsBatch = z.object({
  /** Chosen by the room when it closes the batch; a batch delivered twice is stored once. */
  batchId: z.uuid(),
  /** When the room closed the batch (ms since the epoch). */
  createdAt: epochMs,
  tenantId: TenantId,
  meetingId: MeetingId,
  /** The meeting's media region (its location hint), for the per-region rollups. */
  region: storableLine().min(1).max(64),
  /** Samples the room had to drop since its previous batch (its storage bound was reached while ingestion was down). */
  droppedSamples: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1), // an integer column
  samples: z.array(z.unknown()).max(maxBatchRecords),
  events: z.array(z.unknown()).max(maxBatchRecords),
  sessions: z.array(z.unknown()).max(maxBatchRecords),
});
export type AnalyticsBatch = z.infer<typeof AnalyticsBatch>;

/** A record the function refused, by its place in the batch. */
export const RejectedRecord = z.object({
  list: z.enum(["samples", "events", "sessions"]),
  index: z.number().int().min(0),
  issues: z.array(z.string()),
});
export type RejectedRecord = z.infer<typeof RejectedRecord>;

export const IngestResult = z.discriminatedUnion("ok", [
  z.object({
    ok: z.literal(true),
    batchId: z.uuid(),
    /** Records stored by this invocation. */
    stored: z.object({ samples: z.number().int(), events: z.number().int(), sessions: z.number().int() }),
    /** Records already stored (the batch, or those records, were delivered before). */
    duplicates: z.number().int(),
    rejected: z.array(RejectedRecord),
    /** The Parquet objects holding this batch's samples (Hive-partitioned keys). */
    objects: z.array(z.string()),
  }),
  z.object({
    ok: z.literal(false),
    /** `invalid_event`: nothing was written and retrying the same event cannot succeed. */
    error: z.object({ code: z.literal("invalid_event"), message: z.string(), issues: z.array(z.string()) }),
  }),
]);
export type IngestResult = z.infer<typeof IngestResult>;
