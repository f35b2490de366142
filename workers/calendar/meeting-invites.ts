import { and, eq } from "drizzle-orm";
import { joinLinkFor } from "../../protocol/join-link.ts";
import { meetings } from "../../schema/index.ts";
import type { QueryDatabase } from "../db/database.ts";
import type { MeetingRow } from "../meetings/meeting-repository.ts";
import type { InviteMeeting } from "./core/invite.ts";

/** Without an end, an invite blocks an hour. */
const defaultLengthMs = 3_600_000;

/** A meeting as its invite tells it; undefined for one with no scheduled start (nothing to put in a calendar). */
export function inviteMeetingOf(row: MeetingRow, pageOrigin: string): InviteMeeting | undefined {
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
