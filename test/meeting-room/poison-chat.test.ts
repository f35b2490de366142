import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { refuseInPostgres } from "../support/refusing-trigger.ts";
import { RoomClient } from "../support/room-client.ts";
import { api, createMeeting, mintToken, newTenant } from "../support/stack.ts";
import { poll } from "../support/poll.ts";
import { deadLettersOf, storedChat } from "../support/room-rows.ts";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let refusal: Awaited<ReturnType<typeof refuseInPostgres>>;

beforeAll(async () => {
  refusal = await refuseInPostgres("chat_messages", "body");
});
afterAll(async () => {
  await refusal.remove();
});

async function deadLetterCount(): Promise<number> {
  const health = (await (await api("/healthz")).json()) as { outbox: { deadLetters: number | null } };
  return health.outbox.deadLetters ?? -1;
}

describe("a chat message Postgres refuses, through the real Worker", () => {
  it("never blocks the meeting's chat: every other message reaches Postgres in seq order, and the refused one is dead-lettered and counted in /healthz", async () => {
    const { apiKey, tenantId } = await newTenant("poison-chat");
    const meeting = await createMeeting(apiKey, { title: "poison" });
    const alice = await RoomClient.join((await mintToken(apiKey, meeting.id, { identity: "alice", role: "host" })).connectUrl);
    const countBefore = await deadLetterCount();
    const bodies = ["before 1", "before 2", refusal.marker, "after 1", "after 2"];
    for (const [i, body] of bodies.entries()) {
      alice.send({ type: "chat_send", clientMessageId: `poison-${i}`, body, attachments: [] });
      await pause(450); // under the 2/s chat refill
    }
    await alice.next((f) => f.type === "chat_message" && f.message.clientMessageId === "poison-4");
    const poisonSeq = alice.ofType("chat_message").find((f) => f.message.body === refusal.marker)!.message.seq;

    const stored = () => storedChat(tenantId, meeting.id);
    // The good ones do not wait for the refused one's retries.
    const rows = await poll(stored, (r) => r.length === 4, 5_000);
    expect(rows.map((r) => r.body)).toEqual(["before 1", "before 2", "after 1", "after 2"]);
    expect(rows.every((r, i) => i === 0 || r.seq > rows[i - 1]!.seq)).toBe(true);

    const letters = await poll(
      () => deadLettersOf(tenantId, meeting.id),
      (l) => l.length > 0,
      25_000,
    );
    expect(letters).toEqual([
      expect.objectContaining({
        outbox: "chat",
        recordKey: `chat:${poisonSeq}@0`,
        errorClass: "sqlstate:P0001",
        attempts: 4,
        resolvedAt: null,
      }),
    ]);
    expect(JSON.parse(letters[0]!.payload!)).toMatchObject({ seq: poisonSeq, body: refusal.marker });
    expect(await deadLetterCount()).toBeGreaterThanOrEqual(countBefore + 1);

    // The chat goes on: a message after the dead letter is written at once.
    alice.send({ type: "chat_send", clientMessageId: "poison-5", body: "after the dead letter", attachments: [] });
    expect((await poll(stored, (r) => r.length === 5, 5_000)).at(-1)?.body).toBe("after the dead letter");
    alice.close();
  }, 60_000);
});
