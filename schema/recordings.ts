import { sql } from "drizzle-orm";
import {
  bigint,
  check,
  customType,
  foreignKey,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  unique,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { createdAt, id, tenantId, timestamptz } from "./columns.ts";
import { meetingSessions, meetings } from "./meetings.ts";
import { tenants } from "./tenants.ts";

/** Postgres full-text document; drizzle has no builder for it. */
const tsvector = customType<{ data: string }>({ dataType: () => "tsvector" });

/**
 * `recording` and `paused` while the recorder captures; `processing` from stop until the compositor reports;
 * then `ready` or `failed`.
 */
export const recordingStatus = pgEnum("recording_status", ["pending", "recording", "paused", "processing", "ready", "failed"]);

/** A problem the compositor met and worked around (a missing or corrupt track) or that failed the recording. */
export interface RecordingProblem {
  code: string;
  message: string;
  trackId?: string;
}

export const recordings = pgTable(
  "recordings",
  {
    id: id(),
    tenantId: tenantId(),
    meetingId: uuid("meeting_id").notNull(),
    sessionId: uuid("session_id"),
    status: recordingStatus("status").notNull().default("pending"),
    /** The meeting's title when recording started (search and listings). */
    title: text("title").notNull().default(""),
    layout: text("layout").notNull().default("grid"),
    /** Identity (or `api`) of whoever started it. */
    startedBy: text("started_by"),
    /** The recorder of the pool that captures it, while it does. */
    recorderId: text("recorder_id"),
    /** LiveKit egress id, unique per tenant so egress webhooks map to one row (managed fleets' track egress). */
    egressId: text("egress_id"),
    /** S3 key of the manifest the recorder wrote at stop. */
    manifestKey: text("manifest_key"),
    /** S3 key of the composited MP4 (the main rendition). */
    objectKey: text("object_key"),
    durationMs: bigint("duration_ms", { mode: "number" }),
    sizeBytes: bigint("size_bytes", { mode: "number" }),
    /** Sum of finished pauses, so billable minutes are captured minutes. */
    pausedMs: bigint("paused_ms", { mode: "number" }).notNull().default(0),
    pausedAt: timestamptz("paused_at"),
    participantNames: text("participant_names").array().notNull().default(sql`'{}'::text[]`),
    problems: jsonb("problems").$type<RecordingProblem[]>().notNull().default([]),
    error: text("error"),
    /** Title, participant names and the meeting's chat while recording: filled when the recording is ready. */
    search: tsvector("search"),
    startedAt: timestamptz("started_at"),
    endedAt: timestamptz("ended_at"),
    readyAt: timestamptz("ready_at"),
    createdAt: createdAt(),
  },
  (t) => [
    unique("recordings_tenant_id_id_uq").on(t.tenantId, t.id),
    uniqueIndex("recordings_tenant_egress_uq").on(t.tenantId, t.egressId),
    index("recordings_meeting_idx").on(t.tenantId, t.meetingId, t.createdAt),
    // Listing walks (created_at, id) newest first within one tenant.
    index("recordings_tenant_created_idx").on(t.tenantId, t.createdAt.desc(), t.id.desc()),
    index("recordings_search_idx").using("gin", t.search),
    // At most one recording captures a meeting at a time. Written with the values that existed before `paused`:
    // a value added by a migration cannot be used in the same transaction.
    uniqueIndex("recordings_one_active_uq").on(t.tenantId, t.meetingId).where(sql`${t.status} not in ('processing', 'ready', 'failed')`),
    foreignKey({ columns: [t.tenantId, t.meetingId], foreignColumns: [meetings.tenantId, meetings.id] }),
    foreignKey({ columns: [t.tenantId, t.sessionId], foreignColumns: [meetingSessions.tenantId, meetingSessions.id] }),
    check("recordings_sizes_ck", sql`coalesce(${t.durationMs}, 0) >= 0 and coalesce(${t.sizeBytes}, 0) >= 0 and ${t.pausedMs} >= 0`),
  ],
);

export const recordingSegmentStatus = pgEnum("recording_segment_status", ["pending", "running", "done", "failed"]);

/** The compositor's durable progress: one row per planned segment, keyed by its content-addressed object key. */
export const recordingSegments = pgTable(
  "recording_segments",
  {
    tenantId: tenantId(),
    recordingId: uuid("recording_id").notNull(),
    index: integer("index").notNull(),
    objectKey: text("object_key").notNull(),
    frames: integer("frames").notNull(),
    status: recordingSegmentStatus("status").notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    error: text("error"),
    updatedAt: timestamptz("updated_at").notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.recordingId, t.index] }),
    foreignKey({ columns: [t.tenantId, t.recordingId], foreignColumns: [recordings.tenantId, recordings.id] }).onDelete("cascade"),
    check("recording_segments_counts_ck", sql`${t.index} >= 0 and ${t.frames} > 0 and ${t.attempts} >= 0`),
  ],
);

/** `mp4` and `webm` are files, `hls` the master playlist of the ladder, `thumbnail` a still. */
export const recordingRenditionKind = pgEnum("recording_rendition_kind", ["mp4", "webm", "hls", "thumbnail"]);

export const recordingRenditions = pgTable(
  "recording_renditions",
  {
    tenantId: tenantId(),
    recordingId: uuid("recording_id").notNull(),
    kind: recordingRenditionKind("kind").notNull(),
    objectKey: text("object_key").notNull(),
    contentType: text("content_type").notNull(),
    sizeBytes: bigint("size_bytes", { mode: "number" }).notNull(),
    width: integer("width"),
    height: integer("height"),
    durationMs: bigint("duration_ms", { mode: "number" }),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.recordingId, t.kind, t.objectKey] }),
    foreignKey({ columns: [t.tenantId, t.recordingId], foreignColumns: [recordings.tenantId, recordings.id] }).onDelete("cascade"),
  ],
);

/** Per-tenant recording policy: retention (null keeps forever). */
export const tenantRecordingPolicies = pgTable(
  "tenant_recording_policies",
  {
    tenantId: uuid("tenant_id")
      .primaryKey()
      .references(() => tenants.id, { onDelete: "cascade" }),
    retentionDays: integer("retention_days"),
    updatedAt: timestamptz("updated_at").notNull().defaultNow(),
  },
  (t) => [check("tenant_recording_policies_retention_ck", sql`${t.retentionDays} is null or ${t.retentionDays} between 1 and 3650`)],
);
