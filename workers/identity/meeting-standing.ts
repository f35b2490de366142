import { and, eq } from "drizzle-orm";
import type { MeetingStanding } from "../../protocol/permissions.ts";
import { meetingHosts, recordings } from "../../schema/index.ts";
import type { QueryDatabase } from "../db/database.ts";

/** A signed-in person's standing in a meeting of their tenant (null: neither host nor cohost, or no such meeting). */
export async function standingIn(db: QueryDatabase, tenantId: string, meetingId: string, userId: string): Promise<MeetingStanding> {
  const [row] = await db
    .select({ standing: meetingHosts.standing })
    .from(meetingHosts)
    .where(and(eq(meetingHosts.tenantId, tenantId), eq(meetingHosts.meetingId, meetingId), eq(meetingHosts.userId, userId)));
  return row?.standing ?? null;
}

/** The signed-in creator of a meeting hosts it (a replayed create finds the row already there). */
export async function recordHost(db: QueryDatabase, tenantId: string, meetingId: string, userId: string): Promise<void> {
  await db.insert(meetingHosts).values({ tenantId, meetingId, userId, standing: "host" }).onConflictDoNothing();
}

/** The meeting a recording of the tenant belongs to (undefined: no such recording). */
export async function meetingOfRecording(db: QueryDatabase, tenantId: string, recordingId: string): Promise<string | undefined> {
  const [row] = await db
    .select({ meetingId: recordings.meetingId })
    .from(recordings)
    .where(and(eq(recordings.tenantId, tenantId), eq(recordings.id, recordingId)));
  return row?.meetingId;
}
