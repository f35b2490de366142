import { sql } from "drizzle-orm";
import { bigint, check, foreignKey, index, pgEnum, pgTable, text, unique, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, tenantId, timestamptz } from "./columns.ts";
import { meetingSessions, meetings } from "./meetings.ts";

export const recordingStatus = pgEnum("recording_status", ["pending", "recording", "processing", "ready", "failed"]);

export const recordings = pgTable(
  "recordings",
  {
    id: id(),
    tenantId: tenantId(),
    meetingId: uuid("meeting_id").notNull(),
    sessionId: uuid("session_id"),
    status: recordingStatus("status").notNull().default("pending"),
    /** LiveKit egress id, unique per tenant so egress webhooks map to one row. */
    egressId: text("egress_id"),
    objectKey: text("object_key"),
    durationMs: bigint("duration_ms", { mode: "number" }),
    sizeBytes: bigint("size_bytes", { mode: "number" }),
    error: text("error"),
    startedAt: timestamptz("started_at"),
    endedAt: timestamptz("ended_at"),
    createdAt: createdAt(),
  },
  (t) => [
    unique("recordings_tenant_id_id_uq").on(t.tenantId, t.id),
    uniqueIndex("recordings_tenant_egress_uq").on(t.tenantId, t.egressId),
    index("recordings_meeting_idx").on(t.tenantId, t.meetingId, t.createdAt),
    foreignKey({ columns: [t.tenantId, t.meetingId], foreignColumns: [meetings.tenantId, meetings.id] }),
    foreignKey({ columns: [t.tenantId, t.sessionId], foreignColumns: [meetingSessions.tenantId, meetingSessions.id] }),
    check("recordings_sizes_ck", sql`coalesce(${t.durationMs}, 0) >= 0 and coalesce(${t.sizeBytes}, 0) >= 0`),
  ],
);
