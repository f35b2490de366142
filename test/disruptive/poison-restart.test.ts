import { afterAll, describe, expect, it } from "vitest";
import { loadOrCreateSecrets } from "../../scripts/lib/local-config.ts";
import { workerService } from "../../scripts/services/worker.ts";
import { refuseInPostgres } from "../support/refusing-trigger.ts";
import { RoomClient } from "../support/room-client.ts";
import { api, createMeeting, mintToken, newTenant } from "../support/stack.ts";
import { poll } from "../support/poll.ts";
import { deadLettersOf, storedChat } from "../support/room-rows.ts";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const cleanups: Array<() => Promise<unknown>> = [];

afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
  await workerService.up(await loadOrCreateSecrets()); // leave the stack as the other suites expect it
});

describe("a refused chat message across a Worker restart", () => {
  it("is retried where it left off after the restart, dead-lettered once, and never holds back the messages around it", async () => {
    const refusal = await refuseInPostgres("chat_messages", "body");
    cleanups.push(refusal.remove);
    const secrets = await loadOrCreateSecrets();
    const { apiKey, tenantId } = await newTenant("poison-restart");
    const meeting = await createMeeting(apiKey, { title: "poison across a restart" });
    const join = async () => RoomClient.join((await mintToken(apiKey, meeting.id, { identity: "alice", role: "host" })).connectUrl);
    const stored = () => storedChat(tenantId, meeting.id).catch(() => []);
    const letters = () => deadLettersOf(tenantId, meeting.id);

    let alice = await join();
    for (const [i, body] of ["before", refusal.marker, "between"].entries()) {
      alice.send({ type: "chat_send", clientMessageId: `restart-${i}`, body, attachments: [] });
      await pause(450);
    }
    await alice.next((f) => f.type === "chat_message" && f.message.clientMessageId === "restart-2");
    expect((await poll(stored, (r) => r.length === 2, 10_000)).map((r) => r.body)).toEqual(["before", "between"]);
    await pause(1_500); // the refused one has failed at least once, and its retry state is stored
    expect(await letters()).toEqual([]);

    await workerService.down();
    await workerService.up(secrets);
    alice = await join();
    alice.send({ type: "chat_send", clientMessageId: "restart-3", body: "after the restart", attachments: [] });

    const dead = await poll(letters, (l) => l.length > 0, 40_000);
    expect(dead).toEqual([expect.objectContaining({ outbox: "chat", errorClass: "sqlstate:P0001", attempts: 4 })]);
    expect(JSON.parse(dead[0]!.payload!)).toMatchObject({ body: refusal.marker });
    const rows = await poll(stored, (r) => r.length === 3, 10_000);
    expect(rows.map((r) => r.body)).toEqual(["before", "between", "after the restart"]);
    expect(rows.every((r, i) => i === 0 || r.seq > rows[i - 1]!.seq)).toBe(true);
    const health = (await (await api("/healthz")).json()) as { outbox: { deadLetters: number | null } };
    expect(health.outbox.deadLetters).toBeGreaterThanOrEqual(1);
    // Settled for good: nothing more is retried or dead-lettered a second time.
    await pause(3_000);
    expect(await letters()).toHaveLength(1);
    alice.close();
  }, 120_000);
});
