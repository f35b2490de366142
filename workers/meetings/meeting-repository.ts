import { and, desc, eq, isNull, lt, ne, or, sql } from "drizzle-orm";
import { meetings } from "../../schema/index.ts";
import type { QueryDatabase } from "../db/database.ts";
import { meetingEndedFact } from "../webhooks/core/meeting-facts.ts";
import { dispatcherAddresses, webhookEventsStatement } from "../webhooks/record-event.ts";
import type { DispatcherAddress } from "../webhooks/core/lane-shards.ts";
import type { MeetingId, TenantId } from "../../protocol/ids.ts";
import type { PageCursor } from "./page-cursor.ts";

/** Every query here takes the tenant and filters on it: there is no unscoped read. */
export type MeetingRow = typeof meetings.$inferSelect;
export type NewMeeting = Pick<
  typeof meetings.$inferInsert,
  | "title"
  | "waitingRoom"
  | "e2ee"
  | "autoRecord"
  | "recordingConsent"
  | "maxParticipants"
  | "scheduledStartAt"
  | "scheduledEndAt"
  | "timeZone"
  | "recurrenceRule"
  | "attendees"
  | "metadata"
>;
export type MeetingPatch = Partial<NewMeeting>;

const live = (tenantId: TenantId, id: MeetingId) => and(eq(meetings.tenantId, tenantId), eq(meetings.id, id), isNull(meetings.deletedAt));

export async function insertMeeting(
  db: QueryDatabase,
  tenantId: TenantId,
  input: NewMeeting,
  idempotency?: { key: string; fingerprint: string },
): Promise<{ meeting: MeetingRow; replayed: boolean } | { conflict: true }> {
  // createdAt from the app at ms precision, so page cursors (ISO strings) compare exactly.
  const now = new Date();
  const [created] = await db
    .insert(meetings)
    .values({
      ...input,
      tenantId,
      createdAt: now,
      updatedAt: now,
      idempotencyKey: idempotency?.key ?? null,
      idempotencyFingerprint: idempotency?.fingerprint ?? null,
    })
    .onConflictDoNothing({ target: [meetings.tenantId, meetings.idempotencyKey] })
    .returning();
  if (created) return { meeting: created, replayed: false };
  const [existing] = await db
    .select()
    .from(meetings)
    .where(and(eq(meetings.tenantId, tenantId), eq(meetings.idempotencyKey, idempotency!.key)));
  if (!existing || existing.idempotencyFingerprint !== idempotency!.fingerprint) return { conflict: true };
  return { meeting: existing, replayed: true };
}

export async function findMeeting(db: QueryDatabase, tenantId: TenantId, id: MeetingId): Promise<MeetingRow | undefined> {
  const [row] = await db.select().from(meetings).where(live(tenantId, id));
  return row;
}

export async function listMeetings(
  db: QueryDatabase,
  tenantId: TenantId,
  options: { limit: number; after?: PageCursor; status?: MeetingRow["status"] },
): Promise<MeetingRow[]> {
  const { after, status } = options;
  return db
    .select()
    .from(meetings)
    .where(
      and(
        eq(meetings.tenantId, tenantId),
        isNull(meetings.deletedAt),
        status ? eq(meetings.status, status) : undefined,
        after
          ? or(lt(meetings.createdAt, after.createdAt), and(eq(meetings.createdAt, after.createdAt), lt(meetings.id, after.id)))
          : undefined,
      ),
    )
    .orderBy(desc(meetings.createdAt), desc(meetings.id))
    .limit(options.limit);
}

/** Applies a patch unless the meeting ended meanwhile (the status guard makes check-then-write race-free). */
/** The fields an invite tells: changing one raises the invite's SEQUENCE. */
const inviteFields = ["title", "scheduledStartAt", "scheduledEndAt", "timeZone", "recurrenceRule", "attendees"] as const;
/** Whether a requested change touches the invite (the request's own fields, before the schedule is merged). */
export const changesInvite = (requested: object) => inviteFields.some((field) => field in requested);

export async function updateMeeting(
  db: QueryDatabase,
  tenantId: TenantId,
  id: MeetingId,
  patch: MeetingPatch,
  options: { inviteChanged?: boolean } = {},
): Promise<MeetingRow | undefined> {
  const [row] = await db
    .update(meetings)
    .set({
      ...patch,
      updatedAt: new Date(),
      // Attendees' calendars take a change only with a higher SEQUENCE (RFC 5546).
      ...(options.inviteChanged ? { inviteSequence: sql`${meetings.inviteSequence} + 1` } : {}),
    })
    .where(and(live(tenantId, id), ne(meetings.status, "ended")))
    .returning();
  return row;
}

/**
 * Ends a meeting (and with `deleted`, soft-deletes it) in one statement that also records `meeting.ended` when the
 * meeting never went live: a meeting someone joined is reported ended by its room, after everyone's
 * `participant.left`. Returns the webhook dispatchers to wake, or undefined if there is no such meeting.
 */
export async function endMeeting(
  db: QueryDatabase,
  tenantId: TenantId,
  id: MeetingId,
  options: { deleted?: boolean; now?: Date } = {},
): Promise<{ endpointIds: DispatcherAddress[] } | undefined> {
  const now = (options.now ?? new Date()).toISOString();
  // Checked first so a missing meeting is told apart from one whose end records no event (the statement answers
  // only the dispatchers to wake).
  if (!(await findMeeting(db, tenantId, id))) return undefined;
  const fact = meetingEndedFact({ tenantId, meetingId: id }, new Date(now), options.deleted ? "deleted" : "api");
  const result = await db.execute(
    webhookEventsStatement([fact], {
      with: sql`before as (
          select id, status from meetings where tenant_id = ${tenantId} and id = ${id} and deleted_at is null for update
        ), ended as (
          update meetings m
          set status = 'ended', ended_at = coalesce(m.ended_at, ${now}::timestamptz), updated_at = ${now}::timestamptz
            ${options.deleted ? sql`, deleted_at = ${now}::timestamptz, invite_sequence = m.invite_sequence + 1` : sql``}
          from before where m.tenant_id = ${tenantId} and m.id = before.id
          returning before.status as previous_status
        )`,
      when: sql`exists (select 1 from ended where previous_status = 'scheduled')`,
    }),
  );
  return { endpointIds: dispatcherAddresses(result) };
}
