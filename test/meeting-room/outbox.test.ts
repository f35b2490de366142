import { and, eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/neon-serverless";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { participants } from "../../schema/index.ts";
import * as schema from "../../schema/index.ts";
import { databaseUrl, host, loadOrCreateSecrets, ports } from "../../scripts/lib/local-config.ts";
import { createNodePool } from "../../scripts/lib/neon-node.ts";
import { httpDatabase, type DatabaseHandle } from "../../workers/db/database.ts";
import { unresolvedDeadLetters } from "../../workers/health/dead-letters.ts";
import { unpersisted } from "../../workers/meeting-room/core/chat-log.ts";
import { outboxRetryPolicy, type RetryState } from "../../workers/meeting-room/core/outbox-policy.ts";
import type { PendingRecord } from "../../workers/meeting-room/core/room-records.ts";
import { reduce } from "../../workers/meeting-room/core/room-reducer.ts";
import { createRoomState, type RoomEvent, type RoomState } from "../../workers/meeting-room/core/room-state.ts";
import { chatOutboxQueue } from "../../workers/meeting-room/shell/chat-outbox.ts";
import { Outbox, type OutboxName } from "../../workers/meeting-room/shell/outbox.ts";
import { recordGatherMs, recordOutboxQueue } from "../../workers/meeting-room/shell/record-outbox.ts";
import { refuseInPostgres } from "../support/refusing-trigger.ts";
import { deadLettersOf, storedChat as storedChatOf } from "../support/room-rows.ts";
import { createMeeting, newTenant, withDatabase } from "../support/stack.ts";

/** The outboxes against the real Postgres, with Postgres itself refusing one record (a trigger), and unreachable. */
let url: string;
let tenantId: string;
let apiKey: string;

const openDatabase = (proxy?: string) => (): DatabaseHandle => {
  const pool = createNodePool(url, ...(proxy ? [proxy] : []));
  return { db: drizzle(pool, { schema }), close: () => pool.end() };
};
/** The chat outbox's path, as the room opens it: Neon's one-shot HTTP queries through the local stand-in. */
const openQueryDatabase = (proxy?: string) => () => ({
  db: httpDatabase(url, proxy ?? `${host}:${ports.pgWsProxy}`),
  close: async () => {},
});

let refusals: Array<Awaited<ReturnType<typeof refuseInPostgres>>>;
let marker: string;

beforeAll(async () => {
  url = databaseUrl(await loadOrCreateSecrets());
  ({ tenantId, apiKey } = await newTenant("outbox"));
  // Postgres refuses exactly the marked chat body and the marked participant, like a constraint the room can't know.
  const chat = await refuseInPostgres("chat_messages", "body");
  marker = chat.marker;
  refusals = [chat, await refuseInPostgres("participants", "identity", marker)];
});

afterAll(async () => {
  for (const refusal of refusals) await refusal.remove();
});

/** A room driven by the real reducer; the outbox settles through it like the Durable Object's. */
function room(meetingId: string) {
  let now = Date.parse("2026-11-24T10:00:00Z");
  let state: RoomState = createRoomState(meetingId, { waitingRoom: false }, tenantId);
  const dispatch = async (event: RoomEvent) => {
    state = reduce(state, event, now).state;
  };
  const saved = new Map<OutboxName, Record<string, RetryState>>();
  const options = (proxy?: string) => ({
    openDatabase: openDatabase(proxy),
    keys: () => ({ tenantId, meetingId }),
    saveRetries: async (outbox: OutboxName, retries: Record<string, RetryState>) => void saved.set(outbox, retries),
    waitUntil: (work: Promise<unknown>) => void work,
    now: () => now,
  });
  const chatOptions = (proxy?: string) => ({ ...options(proxy), openDatabase: openQueryDatabase(proxy) });
  return {
    get state() {
      return state;
    },
    saved,
    options,
    chatOptions,
    dispatch,
    advance: (ms: number) => {
      now += ms;
    },
    /** Alice joins as host: she is who sends the chat. */
    seatAlice: () =>
      dispatch({
        kind: "hello",
        participant: { identity: "alice", role: "host", tokenId: "t", tokenExpiresAt: new Date(Date.now() + 3_600_000) },
        frame: { type: "hello", id: "h", protocolVersion: 1 },
        iceServers: [],
      }),
    send: (body: string, n: number) =>
      dispatch({
        kind: "frame",
        identity: "alice",
        frame: { type: "chat_send", id: `c${n}`, clientMessageId: `msg-${String(n).padStart(4, "0")}`, body, attachments: [] },
      }),
  };
}

const storedChat = (meetingId: string) => storedChatOf(tenantId, meetingId);
const deadLetters = (meetingId: string) => deadLettersOf(tenantId, meetingId);

/** These tenants have no webhook endpoints: nothing to wake. */
const noWebhooks = () => {};

describe("room outboxes against the real Postgres", () => {
  it("a chat message Postgres refuses is retried with backoff, then dead-lettered and counted; every other message arrives, in seq order", async () => {
    const meeting = await createMeeting(apiKey, { title: "poison chat" });
    const r = room(meeting.id);
    await r.seatAlice();
    const countBefore = await withDatabase(unresolvedDeadLetters);
    const outbox = new Outbox(chatOutboxQueue({ state: () => r.state, dispatch: r.dispatch }, noWebhooks), r.chatOptions());
    const bodies = ["one", "two", marker, "four", "five"];
    for (const [i, body] of bodies.entries()) await r.send(body, i + 1);
    const poisonSeq = r.state.chat.messages.find((m) => m.body === marker)!.seq;

    await outbox.flush();
    expect((await storedChat(meeting.id)).map((m) => m.body)).toEqual(["one", "two", "four", "five"]);
    expect(unpersisted(r.state.chat).map((m) => m.seq)).toEqual([poisonSeq]);
    expect(Object.values(r.saved.get("chat") ?? {})).toEqual([expect.objectContaining({ attempts: 1, lastError: "sqlstate:P0001" })]);

    // Written while the bad one backs off: later messages pass it.
    await r.send("six", 6);
    await outbox.flush();
    expect((await storedChat(meeting.id)).map((m) => m.body)).toEqual(["one", "two", "four", "five", "six"]);
    expect(outbox.dueAt()).toBe(Date.parse("2026-11-24T10:00:00Z") + outboxRetryPolicy.firstDelayMs);

    for (let attempt = 2; attempt <= outboxRetryPolicy.maxAttempts; attempt++) {
      r.advance(60_000);
      await outbox.flush();
    }
    expect(unpersisted(r.state.chat)).toEqual([]);
    expect(outbox.dueAt()).toBeNull();
    expect(r.saved.get("chat")).toEqual({});
    const [letter, ...more] = await deadLetters(meeting.id);
    expect(more).toEqual([]);
    expect(letter).toMatchObject({
      outbox: "chat",
      recordKey: `chat:${poisonSeq}@0`,
      attempts: outboxRetryPolicy.maxAttempts,
      errorClass: "sqlstate:P0001",
      resolvedAt: null,
    });
    expect(JSON.parse(letter!.payload!)).toMatchObject({ seq: poisonSeq, body: marker, sender: "alice" });
    expect(await withDatabase(unresolvedDeadLetters)).toBeGreaterThanOrEqual(countBefore + 1);

    // And the outbox is clear for what comes next.
    await r.send("seven", 7);
    await outbox.flush();
    const stored = await storedChat(meeting.id);
    expect(stored.map((m) => m.body)).toEqual(["one", "two", "four", "five", "six", "seven"]);
    expect(stored.map((m) => m.seq)).toEqual([...stored.map((m) => m.seq)].sort((a, b) => a - b));
  });

  it("participant records wait in order behind one Postgres refuses, and flow again once it is dead-lettered", async () => {
    const meeting = await createMeeting(apiKey, { title: "poison records" });
    const r = room(meeting.id);
    const at = "2026-11-24T10:00:00.000Z";
    let pending: PendingRecord[] = [
      { key: "record:1", id: crypto.randomUUID(), effect: { kind: "record_join", identity: marker, role: "participant", at } },
      { key: "record:2", id: crypto.randomUUID(), effect: { kind: "record_join", identity: "bob", role: "participant", at } },
      { key: "record:3", id: crypto.randomUUID(), effect: { kind: "record_leave", identity: "bob", at, reason: "left" } },
    ];
    const store = {
      pendingRecords: () => pending,
      completeRecords: async (done: readonly PendingRecord[]) => {
        pending = pending.filter((p) => !done.includes(p));
      },
    };
    const outbox = new Outbox(recordOutboxQueue(store, noWebhooks, { compose: async () => {} }), r.options());
    const people = () =>
      withDatabase((db) =>
        db
          .select()
          .from(participants)
          .where(and(eq(participants.tenantId, tenantId), eq(participants.meetingId, meeting.id))),
      );

    await outbox.flush();
    expect(await people()).toEqual([]); // bob's join waits behind the refused one: a leave never overtakes its join
    expect(pending.map((p) => p.key)).toEqual(["record:1", "record:2", "record:3"]);
    for (let attempt = 2; attempt <= outboxRetryPolicy.maxAttempts; attempt++) {
      r.advance(60_000);
      await outbox.flush();
    }
    expect(pending).toEqual([]);
    const rows = await people();
    expect(rows.map((p) => [p.identity, p.leaveReason])).toEqual([["bob", "left"]]);
    expect(await deadLetters(meeting.id)).toEqual([
      expect.objectContaining({ outbox: "records", errorClass: "sqlstate:P0001", recordKey: expect.stringMatching(/^record:/) }),
    ]);
  });

  it("records arriving within the gathering window share one flush and one connection, in order", async () => {
    const meeting = await createMeeting(apiKey, { title: "gathered records" });
    const r = room(meeting.id);
    const at = "2026-11-24T10:00:00.000Z";
    let pending: PendingRecord[] = [];
    const store = {
      pendingRecords: () => pending,
      completeRecords: async (done: readonly PendingRecord[]) => {
        pending = pending.filter((p) => !done.includes(p));
      },
    };
    let opened = 0;
    const options = r.options();
    const counted = {
      ...options,
      openDatabase: () => {
        opened++;
        return options.openDatabase();
      },
    };
    const outbox = new Outbox(recordOutboxQueue(store, noWebhooks, { compose: async () => {} }), counted);
    const people = () =>
      withDatabase((db) =>
        db
          .select()
          .from(participants)
          .where(and(eq(participants.tenantId, tenantId), eq(participants.meetingId, meeting.id))),
      );

    const flushes: Promise<void>[] = [];
    const startedAt = performance.now();
    for (const [i, identity] of ["ann", "ben", "cat"].entries()) {
      pending.push({ key: `record:${i + 1}`, id: crypto.randomUUID(), effect: { kind: "record_join", identity, role: "participant", at } });
      flushes.push(outbox.flushSoon());
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(opened).toBe(0); // still gathering
    expect(new Set(flushes).size).toBe(1);
    await Promise.all(flushes);
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(recordGatherMs - 5);
    expect(opened).toBe(1);
    expect(pending).toEqual([]);
    expect((await people()).map((p) => p.identity).sort()).toEqual(["ann", "ben", "cat"]);

    // The next record opens a new window.
    pending.push({ key: "record:4", id: crypto.randomUUID(), effect: { kind: "record_leave", identity: "ann", at, reason: "left" } });
    const next = outbox.flushSoon();
    expect(next).not.toBe(flushes[0]);
    await next;
    expect(opened).toBe(2);
    expect((await people()).find((p) => p.identity === "ann")?.leaveReason).toBe("left");

    // A flush asked for now (the room's end) does not wait out a window that is open; the window then finds nothing.
    pending.push({ key: "record:5", id: crypto.randomUUID(), effect: { kind: "record_join", identity: "dan", role: "participant", at } });
    const gathered = outbox.flushSoon();
    await outbox.flush();
    expect(pending).toEqual([]);
    expect((await people()).map((p) => p.identity)).toContain("dan");
    expect(opened).toBe(3);
    await gathered;
    expect(opened).toBe(3);
  });

  it("while the database can't be reached nothing counts against a record and nothing is dead-lettered", async () => {
    const meeting = await createMeeting(apiKey, { title: "outage" });
    const r = room(meeting.id);
    await r.seatAlice();
    await r.send("during the outage", 1);
    // Nothing listens on port 9: every connection is refused, like a proxy or Postgres that is down.
    const down = new Outbox(chatOutboxQueue({ state: () => r.state, dispatch: r.dispatch }, noWebhooks), r.chatOptions("127.0.0.1:9"));
    for (let i = 0; i < outboxRetryPolicy.maxAttempts + 2; i++) {
      await down.flush();
      r.advance(60_000);
    }
    expect(r.saved.get("chat")).toBeUndefined();
    expect(unpersisted(r.state.chat)).toHaveLength(1);
    expect(await deadLetters(meeting.id)).toEqual([]);
    // Back up: the message goes through as if nothing happened.
    await new Outbox(chatOutboxQueue({ state: () => r.state, dispatch: r.dispatch }, noWebhooks), r.chatOptions()).flush();
    expect((await storedChat(meeting.id)).map((m) => m.body)).toEqual(["during the outage"]);
  });
});
