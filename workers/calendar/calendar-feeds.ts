import { and, eq, gt, inArray, isNotNull, isNull, or, sql } from "drizzle-orm";
import { calendarFeeds, meetingHosts, meetings } from "../../schema/index.ts";
import { randomToken } from "../crypto/random-token.ts";
import { sha256Hex } from "../crypto/sha256-hex.ts";
import type { QueryDatabase } from "../db/database.ts";
import type { MeetingRow } from "../meetings/meeting-repository.ts";

/**
 * Private calendar feeds: a random token in the URL is the only credential (calendar apps send no cookie), so only
 * its hash is stored, one live feed per person, and revoking or replacing it makes the old URL answer nothing.
 */
export async function newCalendarFeed(db: QueryDatabase, tenantId: string, userId: string): Promise<string> {
  const token = randomToken();
  await revokeCalendarFeeds(db, tenantId, userId);
  await db.insert(calendarFeeds).values({ tenantId, userId, tokenHash: await sha256Hex(token) });
  return token;
}

export async function revokeCalendarFeeds(db: QueryDatabase, tenantId: string, userId: string): Promise<number> {
  const revoked = await db
    .update(calendarFeeds)
    .set({ revokedAt: new Date() })
    .where(and(eq(calendarFeeds.tenantId, tenantId), eq(calendarFeeds.userId, userId), isNull(calendarFeeds.revokedAt)))
    .returning({ id: calendarFeeds.id });
  return revoked.length;
}

export async function calendarFeedOwner(db: QueryDatabase, token: string): Promise<{ tenantId: string; userId: string } | undefined> {
  if (!/^[A-Za-z0-9_-]{20,64}$/.test(token)) return undefined;
  const [row] = await db
    .select({ tenantId: calendarFeeds.tenantId, userId: calendarFeeds.userId })
    .from(calendarFeeds)
    .where(and(eq(calendarFeeds.tokenHash, await sha256Hex(token)), isNull(calendarFeeds.revokedAt)));
  return row;
}

/**
 * A person's scheduled meetings that are still to come (or repeat): those they host or cohost and those that invite
 * their email, deleted ones included for a day so calendars see the cancellation.
 */
export async function upcomingMeetingsFor(
  db: QueryDatabase,
  tenantId: string,
  userId: string,
  email: string,
  now = new Date(),
): Promise<MeetingRow[]> {
  const hosted = db
    .select({ meetingId: meetingHosts.meetingId })
    .from(meetingHosts)
    .where(and(eq(meetingHosts.tenantId, tenantId), eq(meetingHosts.userId, userId)));
  const dayAgo = new Date(now.getTime() - 86_400_000);
  return db
    .select()
    .from(meetings)
    .where(
      and(
        eq(meetings.tenantId, tenantId),
        isNotNull(meetings.scheduledStartAt),
        or(inArray(meetings.id, hosted), sql`${meetings.attendees} @> ${JSON.stringify([{ email }])}::jsonb`),
        or(isNotNull(meetings.recurrenceRule), gt(sql`coalesce(${meetings.scheduledEndAt}, ${meetings.scheduledStartAt})`, dayAgo)),
        or(isNull(meetings.deletedAt), gt(meetings.deletedAt, dayAgo)),
      ),
    )
    .orderBy(meetings.scheduledStartAt)
    .limit(500);
}
