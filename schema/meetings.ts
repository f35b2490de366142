import { sql } from "drizzle-orm";
import {
  boolean,
  check,
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
import { participantRoles } from "../protocol/roles.ts";
import { createdAt, id, tenantId, timestamptz } from "./columns.ts";
import { tenants, users } from "./tenants.ts";

export const meetingStatus = pgEnum("meeting_status", ["scheduled", "live", "ended"]);
export const mediaMode = pgEnum("media_mode", ["p2p", "sfu"]);
export const participantRole = pgEnum("participant_role", participantRoles);

export const meetings = pgTable(
  "meetings",
  {
    id: id(),
    tenantId: tenantId().references(() => tenants.id, { onDelete: "cascade" }),
    title: text("title").notNull(),
    status: meetingStatus("status").notNull().default("scheduled"),
    waitingRoom: boolean("waiting_room").notNull().default(false),
    e2ee: boolean("e2ee").notNull().default(false),
    /** Start recording when the meeting goes live. */
    autoRecord: boolean("auto_record").notNull().default(false),
    /** Each participant is asked before being captured; who declines is never recorded. */
    recordingConsent: boolean("recording_consent").notNull().default(false),
    maxParticipants: integer("max_participants").notNull().default(100),
    scheduledStartAt: timestamptz("scheduled_start_at"),
    scheduledEndAt: timestamptz("scheduled_end_at"),
    /** The IANA time zone the schedule is meant in: invites and recurrences keep its wall-clock time across DST. */
    timeZone: text("time_zone"),
    /** An RFC 5545 RRULE value (workers/calendar/core/recurrence.ts), from the first scheduled start. */
    recurrenceRule: text("recurrence_rule"),
    attendees: jsonb("attendees").$type<Array<{ email: string; name?: string }>>().notNull().default([]),
    /** The invite's SEQUENCE: raised by every change an attendee's calendar must take (schedule, title, cancellation). */
    inviteSequence: integer("invite_sequence").notNull().default(0),
    endedAt: timestamptz("ended_at"),
    metadata: jsonb("metadata").$type<Record<string, unknown>>().notNull().default({}),
    /** Client-supplied Idempotency-Key of the create request: a retried create returns the same meeting. */
    idempotencyKey: text("idempotency_key"),
    /** Hash of the create request's body, so a reused key with a different body is refused. */
    idempotencyFingerprint: text("idempotency_fingerprint"),
    createdAt: createdAt(),
    updatedAt: timestamptz("updated_at").notNull().defaultNow(),
    /** Soft delete: sessions, participants and usage keep referencing the meeting for billing. */
    deletedAt: timestamptz("deleted_at"),
  },
  (t) => [
    unique("meetings_tenant_id_id_uq").on(t.tenantId, t.id),
    uniqueIndex("meetings_tenant_idempotency_uq").on(t.tenantId, t.idempotencyKey),
    // Cursor pagination walks (created_at, id) newest first within one tenant.
    index("meetings_tenant_created_idx").on(t.tenantId, t.createdAt.desc(), t.id.desc()).where(sql`${t.deletedAt} is null`),
    index("meetings_tenant_status_idx").on(t.tenantId, t.status).where(sql`${t.deletedAt} is null`),
    check("meetings_max_participants_ck", sql`${t.maxParticipants} between 1 and 10000`),
    check(
      "meetings_schedule_ck",
      sql`${t.scheduledEndAt} is null or ${t.scheduledStartAt} is null or ${t.scheduledEndAt} > ${t.scheduledStartAt}`,
    ),
  ],
);

/** One continuous period in which a meeting had participants (a meeting can be reopened). */
export const meetingSessions = pgTable(
  "meeting_sessions",
  {
    id: id(),
    tenantId: tenantId(),
    meetingId: uuid("meeting_id").notNull(),
    mediaMode: mediaMode("media_mode").notNull().default("p2p"),
    region: text("region"),
    startedAt: timestamptz("started_at").notNull().defaultNow(),
    endedAt: timestamptz("ended_at"),
    peakParticipants: integer("peak_participants").notNull().default(0),
  },
  (t) => [
    unique("meeting_sessions_tenant_id_id_uq").on(t.tenantId, t.id),
    index("meeting_sessions_meeting_idx").on(t.tenantId, t.meetingId, t.startedAt),
    // Composite keys make a cross-tenant reference impossible, not just unlikely.
    foreignKey({ columns: [t.tenantId, t.meetingId], foreignColumns: [meetings.tenantId, meetings.id] }),
    check("meeting_sessions_order_ck", sql`${t.endedAt} is null or ${t.endedAt} >= ${t.startedAt}`),
  ],
);

/** A participant's presence in a session; joined/left timestamps feed billing. */
export const participants = pgTable(
  "participants",
  {
    id: id(),
    tenantId: tenantId(),
    meetingId: uuid("meeting_id").notNull(),
    sessionId: uuid("session_id"),
    identity: text("identity").notNull(),
    displayName: text("display_name"),
    role: participantRole("role").notNull(),
    joinedAt: timestamptz("joined_at").notNull().defaultNow(),
    leftAt: timestamptz("left_at"),
    leaveReason: text("leave_reason"),
  },
  (t) => [
    unique("participants_tenant_id_id_uq").on(t.tenantId, t.id),
    index("participants_meeting_idx").on(t.tenantId, t.meetingId, t.joinedAt),
    index("participants_open_idx").on(t.tenantId, t.meetingId).where(sql`${t.leftAt} is null`),
    foreignKey({ columns: [t.tenantId, t.meetingId], foreignColumns: [meetings.tenantId, meetings.id] }),
    foreignKey({ columns: [t.tenantId, t.sessionId], foreignColumns: [meetingSessions.tenantId, meetingSessions.id] }),
    check("participants_order_ck", sql`${t.leftAt} is null or ${t.leftAt} >= ${t.joinedAt}`),
  ],
);

export const meetingStanding = pgEnum("meeting_standing", ["host", "cohost"]);

/**
 * Signed-in people who host or cohost a meeting (protocol/permissions.ts reads their standing): whoever creates a
 * meeting signed in hosts it.
 */
export const meetingHosts = pgTable(
  "meeting_hosts",
  {
    tenantId: tenantId(),
    meetingId: uuid("meeting_id").notNull(),
    userId: uuid("user_id").notNull(),
    standing: meetingStanding("standing").notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.meetingId, t.userId] }),
    foreignKey({ columns: [t.tenantId, t.meetingId], foreignColumns: [meetings.tenantId, meetings.id] }).onDelete("cascade"),
    foreignKey({ columns: [t.tenantId, t.userId], foreignColumns: [users.tenantId, users.id] }).onDelete("cascade"),
    index("meeting_hosts_user_idx").on(t.tenantId, t.userId),
  ],
);

/**
 * A person's private calendar feed (GET /v1/calendar/{token}.ics): only the token's hash is kept, and revoking it
 * (or asking for a new one) makes the old URL answer nothing.
 */
export const calendarFeeds = pgTable(
  "calendar_feeds",
  {
    id: id(),
    tenantId: tenantId(),
    userId: uuid("user_id").notNull(),
    tokenHash: text("token_hash").notNull(),
    createdAt: createdAt(),
    revokedAt: timestamptz("revoked_at"),
  },
  (t) => [
    uniqueIndex("calendar_feeds_token_hash_uq").on(t.tokenHash),
    foreignKey({ columns: [t.tenantId, t.userId], foreignColumns: [users.tenantId, users.id] }).onDelete("cascade"),
    index("calendar_feeds_user_idx").on(t.tenantId, t.userId).where(sql`${t.revokedAt} is null`),
  ],
);
