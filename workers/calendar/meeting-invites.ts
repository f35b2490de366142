import { and, eq } from "drizzle-orm";
import { joinLinkFor } from "../../protocol/join-link.ts";
import { meetings } from "../../schema/index.ts";
import type { QueryDatabase } from "../db/database.ts";
import type { MeetingRow } from "../meetings/meeting-repository.ts";
import type { WebhookFact } from "../webhooks/core/event-catalog.ts";
import { inviteCalendar, inviteUid, type InviteMeeting } from "./core/invite.ts";

/** Without an end, an invite blocks an hour. */
const defaultLengthMs = 3_600_000;

/** The columns an invite is made of. */
export type InviteRow = Pick<
  MeetingRow,
  "id" | "title" | "scheduledStartAt" | "scheduledEndAt" | "timeZone" | "recurrenceRule" | "attendees" | "inviteSequence" | "deletedAt"
>;

/** A meeting as its invite tells it; undefined for one with no scheduled start (nothing to put in a calendar). */
export function inviteMeetingOf(row: InviteRow, pageOrigin: string): InviteMeeting | undefined {
  if (!row.scheduledStartAt) return undefined;
  return {
    id: row.id,
    title: row.title,
    start: row.scheduledStartAt,
    end: row.scheduledEndAt ?? new Date(row.scheduledStartAt.getTime() + defaultLengthMs),
    timeZone: row.timeZone,
    recurrenceRule: row.recurrenceRule,
    attendees: row.attendees,
    sequence: row.inviteSequence,
    cancelled: row.deletedAt !== null,
    joinUrl: joinLinkFor(pageOrigin, row.id),
  };
}

/** The tenant's meeting for its invite, deleted ones included (their invite is the cancellation). */
export async function meetingForInvite(db: QueryDatabase, tenantId: string, id: string): Promise<MeetingRow | undefined> {
  const [row] = await db
    .select()
    .from(meetings)
    .where(and(eq(meetings.tenantId, tenantId), eq(meetings.id, id)));
  return row;
}

/**
 * The `meeting.invite` events a write makes, from the meeting before it (undefined: a new meeting) and after it
 * (with the raised SEQUENCE): the new version's `REQUEST` (or `CANCEL` once deleted), or a `CANCEL` of the old
 * version when the write took the schedule away. None for a meeting that has never been in a calendar.
 */
export function inviteFacts(
  tenantId: string,
  before: InviteRow | undefined,
  after: InviteRow,
  pageOrigin: string,
  occurredAt: Date,
): WebhookFact[] {
  const invite =
    inviteMeetingOf(after, pageOrigin) ??
    (before && inviteMeetingOf({ ...before, inviteSequence: after.inviteSequence, deletedAt: occurredAt }, pageOrigin));
  if (!invite) return [];
  const method = invite.cancelled ? "CANCEL" : "REQUEST";
  return [
    {
      type: "meeting.invite",
      tenantId,
      meetingId: invite.id,
      // One event per version: the SEQUENCE names it.
      sourceKey: `meeting.invite:${invite.id}:${invite.sequence}`,
      occurredAt,
      data: {
        method,
        uid: inviteUid(invite.id),
        sequence: invite.sequence,
        title: invite.title,
        startsAt: invite.start.toISOString(),
        endsAt: invite.end.toISOString(),
        timeZone: invite.timeZone,
        recurrenceRule: invite.recurrenceRule,
        attendees: [...invite.attendees],
        joinUrl: invite.joinUrl,
        ics: inviteCalendar([invite], method),
      },
    },
  ];
}
