import { and, count, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { chatMessages } from "../../schema/index.ts";
import type { ServerFrame } from "../../protocol/server-frames.ts";
import { RoomClient } from "../support/room-client.ts";
import { createMeeting, mintToken, newTenant, withDatabase } from "../support/stack.ts";

type HistoryPage = Extract<ServerFrame, { type: "chat_history" }>;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// The room keeps the newest 500 messages; older ones are read back from Postgres for history pages.
const senders = 20;
const rounds = 26; // 520 messages, so the oldest ~20 leave the window

describe("chat history beyond the room's window", () => {
  it("pages continue seamlessly from the room's window into the Postgres archive", async () => {
    const { apiKey, tenantId } = await newTenant("chat-archive");
    const meeting = await createMeeting(apiKey, { title: "Archive test" });
    const clients: RoomClient[] = [];
    for (let i = 0; i < senders; i++) {
      const { connectUrl } = await mintToken(apiKey, meeting.id, { identity: `p${i}`, role: i === 0 ? "host" : "participant" });
      clients.push(await RoomClient.join(connectUrl));
    }
    expect(clients[0]!.ofType("welcome")[0]).toMatchObject({ title: "Archive test" });

    const bodies = new Map<string, string>();
    for (let round = 0; round < rounds; round++) {
      clients.forEach((client, i) => {
        const clientMessageId = `archive-${i}-${String(round).padStart(3, "0")}`;
        bodies.set(clientMessageId, `round ${round} from p${i}`);
        client.send({ type: "chat_send", clientMessageId, body: `round ${round} from p${i}`, attachments: [] });
      });
      await pause(520); // each sender stays under the 2/s chat budget
    }
    const reader = clients[0]!;
    await reader.next((f) => f.type === "chat_message" && f.message.seq === senders * rounds, 15_000);
    expect(reader.ofType("error")).toEqual([]);

    // Everything reaches the archive; one more message then lets the flushed oldest ones leave the window.
    const archived = async () =>
      (
        await withDatabase((db) =>
          db
            .select({ n: count() })
            .from(chatMessages)
            .where(and(eq(chatMessages.tenantId, tenantId), eq(chatMessages.meetingId, meeting.id))),
        )
      )[0]!.n;
    for (const deadline = Date.now() + 20_000; (await archived()) < senders * rounds && Date.now() < deadline; ) await pause(300);
    expect(await archived()).toBe(senders * rounds);
    reader.send({ type: "chat_send", clientMessageId: "archive-last-msg", body: "last", attachments: [] });
    const total = senders * rounds + 1;
    await reader.next((f) => f.type === "chat_message" && f.message.seq === total);

    // A page straddling the window's edge: its newest part from the room, its oldest part from Postgres.
    const straddle = reader.send({ type: "chat_history", beforeSeq: 40, limit: 100 });
    const page = await reader.next<HistoryPage>((f) => f.type === "chat_history" && f.ref === straddle, 10_000);
    expect(page.messages.map((m) => m.seq)).toEqual(Array.from({ length: 39 }, (_, i) => 39 - i));
    expect(page.hasMore).toBe(false);
    for (const message of page.messages) expect(message.body).toBe(bodies.get(message.clientMessageId));

    // A page entirely in the archive, with more before it. A marker written only to Postgres proves where it came from.
    await withDatabase((db) =>
      db
        .update(chatMessages)
        .set({ body: "marker only in postgres" })
        .where(and(eq(chatMessages.tenantId, tenantId), eq(chatMessages.meetingId, meeting.id), eq(chatMessages.seq, 8))),
    );
    const old = reader.send({ type: "chat_history", beforeSeq: 12, limit: 5 });
    const oldPage = await reader.next<HistoryPage>((f) => f.type === "chat_history" && f.ref === old, 10_000);
    expect(oldPage.messages.map((m) => m.seq)).toEqual([11, 10, 9, 8, 7]);
    expect(oldPage.hasMore).toBe(true);
    expect(oldPage.messages.find((m) => m.seq === 8)?.body).toBe("marker only in postgres");

    // The newest page never touches Postgres and is exactly the tail.
    const newest = reader.send({ type: "chat_history", limit: 3 });
    const newestPage = await reader.next<HistoryPage>((f) => f.type === "chat_history" && f.ref === newest);
    expect(newestPage.messages.map((m) => m.seq)).toEqual([total, total - 1, total - 2]);
    expect(newestPage.hasMore).toBe(true);
    for (const client of clients) client.close();
  }, 90_000);
});
