import { and, asc, eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { chatMessages, meetings, participants } from "../../schema/index.ts";
import { RoomClient } from "../support/room-client.ts";
import { createMeeting, mintToken, newTenant, withDatabase } from "../support/stack.ts";
import { poll } from "../support/poll.ts";

let key: string;
let tenantId: string;
beforeAll(async () => {
  ({ apiKey: key, tenantId } = await newTenant("room-records"));
});

describe("what the meeting room writes to Postgres", () => {
  it("records joins and leaves (they feed billing) and marks the meeting live", async () => {
    const meeting = await createMeeting(key);
    const join = async (identity: string, role: "host" | "participant") =>
      RoomClient.join((await mintToken(key, meeting.id, { identity, role, name: identity })).connectUrl);
    const alice = await join("alice", "host");
    const bob = await join("bob", "participant");
    bob.close();
    const rows = await poll(
      () =>
        withDatabase((db) =>
          db
            .select()
            .from(participants)
            .where(and(eq(participants.tenantId, tenantId), eq(participants.meetingId, meeting.id)))
            .orderBy(asc(participants.joinedAt)),
        ),
      (r) => r.length === 2 && r.some((p) => p.identity === "bob" && p.leftAt !== null),
    );
    expect(rows.map((r) => [r.identity, r.role, r.displayName])).toEqual([
      ["alice", "host", "alice"],
      ["bob", "participant", "bob"],
    ]);
    const bobRow = rows.find((r) => r.identity === "bob")!;
    expect(bobRow.leaveReason).toBe("left");
    expect(bobRow.leftAt!.getTime()).toBeGreaterThanOrEqual(bobRow.joinedAt.getTime());
    expect(rows.find((r) => r.identity === "alice")!.leftAt).toBeNull();
    const [row] = await withDatabase((db) => db.select({ status: meetings.status }).from(meetings).where(eq(meetings.id, meeting.id)));
    expect(row?.status).toBe("live");
    alice.close();
  });

  it("flushes chat to Postgres once per message, with edits and deletes applied", async () => {
    const meeting = await createMeeting(key);
    const alice = await RoomClient.join((await mintToken(key, meeting.id, { identity: "alice", role: "host" })).connectUrl);
    alice.send({ type: "chat_send", clientMessageId: "rec-0001", body: "first", attachments: [] });
    alice.send({ type: "chat_send", clientMessageId: "rec-0002", body: "secnod", attachments: [] });
    alice.send({ type: "chat_send", clientMessageId: "rec-0001", body: "resend", attachments: [] });
    await alice.next((f) => f.type === "chat_message" && f.message.clientMessageId === "rec-0002");
    alice.send({ type: "chat_edit", messageSeq: 2, body: "second" });
    alice.send({ type: "chat_delete", messageSeq: 1 });
    await alice.next((f) => f.type === "chat_updated" && f.message.deleted);
    const rows = await poll(
      () =>
        withDatabase((db) =>
          db
            .select()
            .from(chatMessages)
            .where(and(eq(chatMessages.tenantId, tenantId), eq(chatMessages.meetingId, meeting.id)))
            .orderBy(asc(chatMessages.seq)),
        ),
      (r) => r.length === 2 && r[1]?.body === "second" && r[0]?.deletedAt !== null,
    );
    expect(rows.map((r) => [r.seq, r.clientMessageId, r.senderIdentity, r.body, r.deletedAt !== null])).toEqual([
      [1, "rec-0001", "alice", "", true],
      [2, "rec-0002", "alice", "second", false],
    ]);
    expect(rows[1]?.editedAt).not.toBeNull();
    alice.close();
  });
});
