import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { meetingSessions, meetings } from "../../schema/index.ts";
import { RoomClient } from "../support/room-client.ts";
import { createMeeting, mintToken, newTenant, withDatabase } from "../support/stack.ts";

describe("the room's alarm ends a scheduled meeting", () => {
  it("closes everyone with a reason at the scheduled end and writes the session and the ended status", async () => {
    const { apiKey, tenantId } = await newTenant("scheduled-end");
    const meeting = await createMeeting(apiKey, { title: "short", scheduledEndAt: new Date(Date.now() + 3000).toISOString() });
    const alice = await RoomClient.join((await mintToken(apiKey, meeting.id, { identity: "alice", role: "host" })).connectUrl);
    const bob = await RoomClient.join((await mintToken(apiKey, meeting.id, { identity: "bob", role: "participant" })).connectUrl);
    expect(await bob.next((f) => f.type === "meeting_ended", 10_000)).toMatchObject({ reason: "scheduled_end" });
    expect((await alice.waitClosed()).code).toBe(4000);
    const deadline = Date.now() + 10_000;
    let status: string | undefined;
    let sessions: { peakParticipants: number }[] = [];
    while (Date.now() < deadline) {
      status = (await withDatabase((db) => db.select({ status: meetings.status }).from(meetings).where(eq(meetings.id, meeting.id))))[0]
        ?.status;
      sessions = await withDatabase((db) =>
        db
          .select()
          .from(meetingSessions)
          .where(and(eq(meetingSessions.tenantId, tenantId), eq(meetingSessions.meetingId, meeting.id))),
      );
      if (status === "ended" && sessions.length) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(status).toBe("ended");
    expect(sessions.map((s) => s.peakParticipants)).toEqual([2]);
  }, 30_000);
});
