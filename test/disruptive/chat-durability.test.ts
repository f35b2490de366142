import { and, eq } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { chatMessages, outboxDeadLetters, participants } from "../../schema/index.ts";
import { loadOrCreateSecrets } from "../../scripts/lib/local-config.ts";
import { postgresService } from "../../scripts/services/postgres.ts";
import { workerService } from "../../scripts/services/worker.ts";
import { RoomClient } from "../support/room-client.ts";
import { api, createMeeting, mintToken, newTenant, withDatabase } from "../support/stack.ts";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

afterAll(async () => {
  // Leave the stack as the other suites expect it, whatever happened above.
  const secrets = await loadOrCreateSecrets();
  await postgresService.up(secrets);
  await workerService.up(secrets);
});

describe("chat durability", () => {
  it("every acknowledged message and every join/leave reaches Postgres exactly once across a Postgres outage and a Durable Object restart", async () => {
    const secrets = await loadOrCreateSecrets();
    const { apiKey, tenantId } = await newTenant("durability");
    const meeting = await createMeeting(apiKey, { title: "durable chat" });
    const join = async () => RoomClient.join((await mintToken(apiKey, meeting.id, { identity: "alice", role: "host" })).connectUrl);
    let alice = await join();
    const bob = await RoomClient.join((await mintToken(apiKey, meeting.id, { identity: "bob", role: "guest" })).connectUrl);
    const acknowledged = new Set<string>();
    const collectAcks = (client: RoomClient) => {
      for (const f of client.ofType("chat_message")) acknowledged.add(f.message.clientMessageId);
    };
    let sent = 0;
    const burst = async (client: RoomClient, count: number) => {
      for (let i = 0; i < count && !client.closed; i++) {
        client.send({
          type: "chat_send",
          clientMessageId: `durable-${String(sent++).padStart(4, "0")}`,
          body: `message ${sent}`,
          attachments: [],
        });
        await pause(450); // under the 2/s chat refill
      }
    };

    await burst(alice, 3);
    await postgresService.down(); // Postgres and its proxy are gone from here on
    // The API says "unavailable, retry" rather than "internal error" while the database is away.
    const unavailable = await api(`/v1/meetings/${meeting.id}`, { key: apiKey });
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers.get("retry-after")).toBe("5");
    expect(await unavailable.json()).toMatchObject({ code: "dependency_unavailable", status: 503 });
    await burst(alice, 4);
    // Bob's leave happens while Postgres is away: it must wait in the room's outbox, across the restart below.
    bob.close();
    await alice.next((f) => f.type === "participant_left" && f.identity === "bob");
    await alice.next((f) => f.type === "chat_message" && f.message.clientMessageId === `durable-${String(sent - 1).padStart(4, "0")}`);
    collectAcks(alice);
    expect(acknowledged.size).toBe(7);

    // Restart workerd mid-meeting: the DO is evicted with Postgres still down and 4+ messages unflushed.
    const restart = workerService.down();
    await burst(alice, 2);
    await restart;
    collectAcks(alice);
    await workerService.up(secrets);
    // Joining needs the API (and so Postgres) again; the room itself restarts with the unflushed messages.
    await postgresService.up(secrets);

    alice = await join();
    await burst(alice, 3);
    await pause(300);
    collectAcks(alice);

    // The outbox retries on its alarm; wait (bounded) until every acknowledged message is in Postgres.
    const deadline = Date.now() + 30_000;
    let rows: { clientMessageId: string }[] = [];
    while (Date.now() < deadline) {
      rows = await withDatabase((db) =>
        db
          .select({ clientMessageId: chatMessages.clientMessageId })
          .from(chatMessages)
          .where(and(eq(chatMessages.tenantId, tenantId), eq(chatMessages.meetingId, meeting.id))),
      ).catch(() => []);
      if ([...acknowledged].every((id) => rows.some((r) => r.clientMessageId === id))) break;
      await pause(500);
    }
    const stored = rows.map((r) => r.clientMessageId);
    expect(acknowledged.size).toBeGreaterThanOrEqual(10);
    for (const id of acknowledged) expect(stored.filter((s) => s === id)).toHaveLength(1);
    expect(new Set(stored).size).toBe(stored.length);
    // Billing rows: one per person, bob's closed as "left", alice's still open; none written twice.
    const readPresence = () =>
      withDatabase((db) =>
        db
          .select({ identity: participants.identity, leftAt: participants.leftAt, leaveReason: participants.leaveReason })
          .from(participants)
          .where(and(eq(participants.tenantId, tenantId), eq(participants.meetingId, meeting.id))),
      );
    let presence = await readPresence();
    while (Date.now() < deadline + 15_000 && !presence.some((p) => p.identity === "bob" && p.leftAt)) {
      await pause(500);
      presence = await readPresence();
    }
    expect(presence.map((p) => p.identity).sort()).toEqual(["alice", "bob"]);
    expect(presence.find((p) => p.identity === "bob")).toMatchObject({ leaveReason: "left" });
    expect(presence.find((p) => p.identity === "bob")?.leftAt).toBeInstanceOf(Date);
    expect(presence.find((p) => p.identity === "alice")?.leftAt).toBeNull();
    // An outage is not a poison record: nothing waited out in Postgres' absence was dead-lettered.
    const letters = await withDatabase((db) =>
      db
        .select()
        .from(outboxDeadLetters)
        .where(and(eq(outboxDeadLetters.tenantId, tenantId), eq(outboxDeadLetters.meetingId, meeting.id))),
    );
    expect(letters).toEqual([]);
    alice.close();
  }, 120_000);
});
