import { and, desc, eq, isNull, lt, ne, or, sql, type SQL } from "drizzle-orm";
import { meetings } from "../../schema/index.ts";
import type { QueryDatabase } from "../db/database.ts";
import { meetingEndedFact } from "../webhooks/core/meeting-facts.ts";
import { dispatcherAddresses, webhookEventsStatement, writeApplied, type FactWrite } from "../webhooks/record-event.ts";
import type { WebhookFact } from "../webhooks/core/event-catalog.ts";
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

/** Facts recorded only if this write (an insert or update returning its rows) changed a row, and it says whether it did. */
const behindWrite = (write: SQL): FactWrite => ({
  with: sql`written as (${write})`,
  when: sql`exists (select 1 from written)`,
  applied: sql`exists (select 1 from written)`,
});

const live = (tenantId: TenantId, id: MeetingId) => and(eq(meetings.tenantId, tenantId), eq(meetings.id, id), isNull(meetings.deletedAt));

/**
 * Creates a meeting, with the webhook events `announce` makes of it (given the new row's id) recorded in the same
 * statement. With an idempotency key already used, answers the meeting it made (`replayed`), or a conflict when the
 * request differed.
 */
export async function insertMeeting(
  db: QueryDatabase,
  tenantId: TenantId,
  input: NewMeeting,
  options: { idempotency?: { key: string; fingerprint: string }; announce?: (id: MeetingId) => readonly WebhookFact[] } = {},
): Promise<{ meeting: MeetingRow; replayed: boolean; dispatchers: DispatcherAddress[] } | { conflict: true }> {
  const { idempotency } = options;
  // createdAt from the app at ms precision, so page cursors (ISO strings) compare exactly.
  const now = new Date();
  const id = crypto.randomUUID() as MeetingId;
  const insert = db
    .insert(meetings)
    .values({
      ...input,
      id,
      tenantId,
      createdAt: now,
      updatedAt: now,
      idempotencyKey: idempotency?.key ?? null,
      idempotencyFingerprint: idempotency?.fingerprint ?? null,
    })
    .onConflictDoNothing({ target: [meetings.tenantId, meetings.idempotencyKey] });
  const facts = options.announce?.(id) ?? [];
  let created: MeetingRow | undefined;
  let dispatchers: DispatcherAddress[] = [];
  if (facts.length === 0) {
    [created] = await insert.returning();
  } else {
    const result = await db.execute(webhookEventsStatement(facts, behindWrite(insert.returning({ id: meetings.id }).getSQL())));
    dispatchers = dispatcherAddresses(result);
    if (writeApplied(result)) created = await findMeeting(db, tenantId, id);
  }
  if (created) return { meeting: created, replayed: false, dispatchers };
  const [existing] = await db
    .select()
    .from(meetings)
    .where(and(eq(meetings.tenantId, tenantId), eq(meetings.idempotencyKey, idempotency!.key)));
  if (!existing || existing.idempotencyFingerprint !== idempotency!.fingerprint) return { conflict: true };
  return { meeting: existing, replayed: true, dispatchers: [] };
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

/** The fields an invite tells: changing one raises the invite's SEQUENCE. */
const inviteFields = ["title", "scheduledStartAt", "scheduledEndAt", "timeZone", "recurrenceRule", "attendees"] as const;
/** Whether a requested change touches the invite (the request's own fields, before the schedule is merged). */
export const changesInvite = (requested: object) => inviteFields.some((field) => field in requested);

/**
 * Applies a patch unless the meeting ended meanwhile (the status guard makes check-then-write race-free). A patch
 * that changes the invite (`invite`) raises its SEQUENCE from the one the caller read, records the events it made in
 * the same statement, and applies only if nobody raised it meanwhile: undefined then, as for an ended meeting, and
 * the caller reads again.
 */
export async function updateMeeting(
  db: QueryDatabase,
  tenantId: TenantId,
  id: MeetingId,
  patch: MeetingPatch,
  invite?: { fromSequence: number; facts: readonly WebhookFact[] },
): Promise<{ meeting: MeetingRow; dispatchers: DispatcherAddress[] } | undefined> {
  const update = db
    .update(meetings)
    .set({
      ...patch,
      updatedAt: new Date(),
      // Attendees' calendars take a change only with a higher SEQUENCE (RFC 5546).
      ...(invite ? { inviteSequence: invite.fromSequence + 1 } : {}),
    })
    .where(and(live(tenantId, id), ne(meetings.status, "ended"), invite ? eq(meetings.inviteSequence, invite.fromSequence) : undefined));
  if (!invite || invite.facts.length === 0) {
    const [row] = await update.returning();
    return row && { meeting: row, dispatchers: [] };
  }
  const result = await db.execute(webhookEventsStatement(invite.facts, behindWrite(update.returning({ id: meetings.id }).getSQL())));
  if (!writeApplied(result)) return undefined;
  const row = await findMeeting(db, tenantId, id);
  return row && { meeting: row, dispatchers: dispatcherAddresses(result) };
}

/**
 * Ends a meeting (and with `deleted`, soft-deletes it) in one statement that also records `meeting.ended` when the
 * meeting never went live: a meeting someone joined is reported ended by its room, after everyone's
 * `participant.left`. A deletion raises the invite's SEQUENCE, and records what `cancelInvite` makes of the meeting
 * as it was (its invite's `CANCEL`); that write applies only if the SEQUENCE is still the one read, else it reads
 * again. Returns the webhook dispatchers to wake, or undefined if there is no such meeting.
 */
export async function endMeeting(
  db: QueryDatabase,
  tenantId: TenantId,
  id: MeetingId,
  options: { deleted?: boolean; now?: Date; cancelInvite?: (meeting: MeetingRow) => readonly WebhookFact[] } = {},
): Promise<{ endpointIds: DispatcherAddress[] } | undefined> {
  const now = (options.now ?? new Date()).toISOString();
  for (let attempt = 0; attempt < maxSequenceRaces; attempt++) {
    // Checked first so a missing meeting is told apart from one whose end records no event.
    const current = await findMeeting(db, tenantId, id);
    if (!current) return undefined;
    const ended = meetingEndedFact({ tenantId, meetingId: id }, new Date(now), options.deleted ? "deleted" : "api");
    const cancel = options.deleted ? (options.cancelInvite?.(current) ?? []) : [];
    const result = await db.execute(
      webhookEventsStatement([ended, ...cancel], {
        with: sql`before as (
            select id, status from meetings
            where tenant_id = ${tenantId} and id = ${id} and deleted_at is null
              ${cancel.length ? sql`and invite_sequence = ${current.inviteSequence}` : sql``}
            for update
          ), ended as (
            update meetings m
            set status = 'ended', ended_at = coalesce(m.ended_at, ${now}::timestamptz), updated_at = ${now}::timestamptz
              ${options.deleted ? sql`, deleted_at = ${now}::timestamptz, invite_sequence = m.invite_sequence + 1` : sql``}
            from before where m.tenant_id = ${tenantId} and m.id = before.id
            returning before.status as previous_status
          )`,
        when: sql`case f.type
            when 'meeting.ended' then exists (select 1 from ended where previous_status = 'scheduled')
            else exists (select 1 from ended) end`,
        applied: sql`exists (select 1 from ended)`,
      }),
    );
    // Not applied: the meeting is gone (the next read says so), or an edit raised the SEQUENCE since the read.
    if (writeApplied(result) || !cancel.length) return { endpointIds: dispatcherAddresses(result) };
  }
  throw new Error(`meeting ${id}: its invite kept changing while it was deleted`);
}

/** Tries of a SEQUENCE-guarded write before giving up: each lost one means another edit of the same meeting landed. */
export const maxSequenceRaces = 5;
