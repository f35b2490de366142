import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { chatMessageSchema } from "../../../protocol/server-frames.ts";
import {
  createChatLog,
  deleteMessage,
  edit,
  history,
  markPersisted,
  maxDistinctReactions,
  storedChatMessageSchema,
  react,
  recent,
  send,
  toWire,
  unpersisted,
  type ChatLogState,
  type Outgoing,
} from "./chat-log.ts";

const t0 = new Date("2031-05-06T07:00:00.000Z");
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);
const file = { objectKey: "t/m/a.png", name: "a.png", contentType: "image/png", sizeBytes: 10 };

const hello = (sender = "ann", clientMessageId = "msg-0001", body = "hello"): Outgoing => ({
  sender,
  clientMessageId,
  body,
  attachments: [],
});

function ok<R extends { ok: boolean }>(result: R): Extract<R, { ok: true }> {
  expect(result).toMatchObject({ ok: true });
  return result as Extract<R, { ok: true }>;
}

/** A log with `count` messages from ann at seqs 1..count, optionally flushed. */
function logWith(count: number, options: { windowSize?: number; persisted?: boolean } = {}): ChatLogState {
  let state = createChatLog({ windowSize: options.windowSize ?? 100 });
  for (let seq = 1; seq <= count; seq++) {
    state = ok(send(state, hello("ann", `msg-${String(seq).padStart(4, "0")}`, `m${seq}`), seq, at(seq))).state;
    if (options.persisted) state = markPersisted(state, [{ seq, revision: 0 }]);
  }
  return state;
}

describe("send", () => {
  it("stores a message with its seq, sender, body and send time, unreacted and unedited", () => {
    const result = ok(send(createChatLog(), { ...hello(), attachments: [file] }, 7, t0));
    expect(result.duplicate).toBe(false);
    expect(toWire(result.message)).toEqual({
      seq: 7,
      clientMessageId: "msg-0001",
      sender: "ann",
      body: "hello",
      attachments: [file],
      reactions: {},
      sentAt: t0.toISOString(),
      editedAt: null,
      deleted: false,
    });
    expect(result.state.messages).toHaveLength(1);
  });

  it("produces messages that match the protocol's chat message schema", () => {
    const { message } = ok(send(createChatLog(), hello(), 1, t0));
    expect(chatMessageSchema.strict().parse(toWire(message))).toEqual(toWire(message));
  });

  it("returns the original with duplicate: true on a resend, and stores nothing new", () => {
    const first = ok(send(createChatLog(), hello(), 1, t0));
    const again = ok(send(first.state, hello(), 2, at(1)));
    expect(again.duplicate).toBe(true);
    expect(again.message).toEqual(first.message);
    expect(again.state).toBe(first.state);
  });

  it("keeps the first body when a resend carries a different one", () => {
    const first = ok(send(createChatLog(), hello("ann", "msg-0001", "first"), 1, t0));
    const again = ok(send(first.state, hello("ann", "msg-0001", "second"), 2, at(1)));
    expect(again.message.body).toBe("first");
    expect(again.state.messages.map((m) => m.body)).toEqual(["first"]);
  });

  it("treats the same clientMessageId from another sender as a different message", () => {
    let state = ok(send(createChatLog(), hello("ann"), 1, t0)).state;
    const other = ok(send(state, hello("bob"), 2, t0));
    state = other.state;
    expect(other.duplicate).toBe(false);
    expect(state.messages.map((m) => m.sender)).toEqual(["ann", "bob"]);
  });

  it.each([
    ["an empty body", ""],
    ["a whitespace-only body", "  \n\t "],
  ])("refuses %s with no attachments as invalid_frame", (_label, body) => {
    expect(send(createChatLog(), hello("ann", "msg-0001", body), 1, t0)).toMatchObject({ ok: false, code: "invalid_frame" });
  });

  it("accepts an empty body when there is an attachment", () => {
    const { message } = ok(send(createChatLog(), { ...hello("ann", "msg-0001", ""), attachments: [file] }, 1, t0));
    expect(message.attachments).toEqual([file]);
  });

  it("throws when the shell hands out a seq that is not after the last one", () => {
    const state = logWith(2);
    expect(() => send(state, hello("ann", "msg-new"), 2, t0)).toThrow(RangeError);
  });

  it("does not change the state it was given", () => {
    const state = logWith(1);
    const before = structuredClone(state);
    send(state, hello("bob"), 2, t0);
    expect(state).toEqual(before);
  });
});

describe("edit", () => {
  it("lets the author change the body and stamps editedAt", () => {
    const result = ok(edit(logWith(1), { seq: 1, by: "ann", canModerate: false, body: "fixed" }, at(30)));
    expect(result.changed).toBe(true);
    expect(result.message).toMatchObject({ body: "fixed", editedAt: at(30).toISOString(), sentAt: at(1).toISOString() });
    expect(result.state.messages[0]!.body).toBe("fixed");
  });

  it("lets a moderator edit someone else's message", () => {
    expect(ok(edit(logWith(1), { seq: 1, by: "host", canModerate: true, body: "[redacted]" }, t0)).message.body).toBe("[redacted]");
  });

  it("refuses someone else without moderation rights with forbidden", () => {
    expect(edit(logWith(1), { seq: 1, by: "bob", canModerate: false, body: "mine now" }, t0)).toMatchObject({
      ok: false,
      code: "forbidden",
    });
  });

  it("refuses an unknown seq with not_found", () => {
    expect(edit(logWith(1), { seq: 99, by: "ann", canModerate: true, body: "x" }, t0)).toMatchObject({ ok: false, code: "not_found" });
  });

  it("refuses a deleted message with not_found", () => {
    const state = ok(deleteMessage(logWith(1), { seq: 1, by: "ann", canModerate: false }, t0)).state;
    expect(edit(state, { seq: 1, by: "ann", canModerate: false, body: "back" }, t0)).toMatchObject({ ok: false, code: "not_found" });
  });

  it("refuses an edit that leaves a text-only message blank", () => {
    expect(edit(logWith(1), { seq: 1, by: "ann", canModerate: false, body: "   " }, t0)).toMatchObject({
      ok: false,
      code: "invalid_frame",
    });
  });

  it("allows a blank body on a message that still has an attachment", () => {
    const state = ok(send(createChatLog(), { ...hello(), attachments: [file] }, 1, t0)).state;
    expect(ok(edit(state, { seq: 1, by: "ann", canModerate: false, body: " " }, t0)).changed).toBe(true);
  });

  it("reports changed: false and keeps the state when the body is the same", () => {
    const state = logWith(1, { persisted: true });
    const result = ok(edit(state, { seq: 1, by: "ann", canModerate: false, body: "m1" }, t0));
    expect(result.changed).toBe(false);
    expect(result.state).toBe(state);
  });
});

describe("deleteMessage", () => {
  it("keeps the seq but drops body, attachments and reactions", () => {
    let state = ok(send(createChatLog(), { ...hello(), attachments: [file] }, 5, t0)).state;
    state = ok(react(state, 5, "bob", "👍", true)).state;
    const result = ok(deleteMessage(state, { seq: 5, by: "ann", canModerate: false }, at(9)));
    expect(toWire(result.message)).toMatchObject({
      seq: 5,
      body: "",
      attachments: [],
      reactions: {},
      deleted: true,
      editedAt: at(9).toISOString(),
    });
    expect(result.state.messages.map((m) => m.seq)).toEqual([5]);
  });

  it("lets a moderator delete someone else's message", () => {
    expect(ok(deleteMessage(logWith(1), { seq: 1, by: "host", canModerate: true }, t0)).message.deleted).toBe(true);
  });

  it("refuses someone else without moderation rights with forbidden", () => {
    expect(deleteMessage(logWith(1), { seq: 1, by: "bob", canModerate: false }, t0)).toMatchObject({ ok: false, code: "forbidden" });
  });

  it("refuses an unknown seq with not_found", () => {
    expect(deleteMessage(logWith(1), { seq: 2, by: "ann", canModerate: false }, t0)).toMatchObject({ ok: false, code: "not_found" });
  });

  it("is a no-op the second time, so a retried delete succeeds", () => {
    const once = ok(deleteMessage(logWith(1), { seq: 1, by: "ann", canModerate: false }, t0));
    const twice = ok(deleteMessage(once.state, { seq: 1, by: "ann", canModerate: false }, at(5)));
    expect(twice.changed).toBe(false);
    expect(twice.state).toBe(once.state);
  });

  it("still refuses a stranger on an already deleted message", () => {
    const state = ok(deleteMessage(logWith(1), { seq: 1, by: "ann", canModerate: false }, t0)).state;
    expect(deleteMessage(state, { seq: 1, by: "bob", canModerate: false }, t0)).toMatchObject({ ok: false, code: "forbidden" });
  });

  it("keeps a resend of the deleted message from bringing it back", () => {
    const state = ok(deleteMessage(logWith(1), { seq: 1, by: "ann", canModerate: false }, t0)).state;
    const again = ok(send(state, hello("ann", "msg-0001", "m1"), 2, t0));
    expect(again).toMatchObject({ duplicate: true, message: { deleted: true, body: "" } });
  });
});

describe("react", () => {
  it("adds the identity under the emoji", () => {
    const result = ok(react(logWith(1), 1, "bob", "🎉", true));
    expect(result.changed).toBe(true);
    expect(result.message.reactions).toEqual({ "🎉": ["bob"] });
  });

  it("is idempotent: reacting twice lists the identity once", () => {
    const once = ok(react(logWith(1), 1, "bob", "🎉", true));
    const twice = ok(react(once.state, 1, "bob", "🎉", true));
    expect(twice.changed).toBe(false);
    expect(twice.message.reactions).toEqual({ "🎉": ["bob"] });
  });

  it("withdraws a reaction and drops the emoji when nobody is left", () => {
    let state = ok(react(logWith(1), 1, "bob", "🎉", true)).state;
    state = ok(react(state, 1, "cat", "🎉", true)).state;
    state = ok(react(state, 1, "bob", "🎉", false)).state;
    expect(state.messages[0]!.reactions).toEqual({ "🎉": ["cat"] });
    state = ok(react(state, 1, "cat", "🎉", false)).state;
    expect(state.messages[0]!.reactions).toEqual({});
  });

  it("withdrawing a reaction that was never there is a no-op", () => {
    const state = logWith(1);
    const result = ok(react(state, 1, "bob", "🎉", false));
    expect(result.changed).toBe(false);
    expect(result.state).toBe(state);
  });

  it("refuses an unknown or deleted message with not_found", () => {
    expect(react(logWith(1), 9, "bob", "🎉", true)).toMatchObject({ ok: false, code: "not_found" });
    const deleted = ok(deleteMessage(logWith(1), { seq: 1, by: "ann", canModerate: false }, t0)).state;
    expect(react(deleted, 1, "bob", "🎉", true)).toMatchObject({ ok: false, code: "not_found" });
  });

  it(`refuses a new kind of reaction past ${maxDistinctReactions} on one message, but not another vote on an existing one`, () => {
    let state = logWith(1);
    for (let i = 0; i < maxDistinctReactions; i++) state = ok(react(state, 1, "bob", `e${i}`, true)).state;
    expect(react(state, 1, "bob", "one-too-many", true)).toMatchObject({ ok: false, code: "invalid_frame" });
    expect(ok(react(state, 1, "cat", "e0", true)).changed).toBe(true);
  });

  it("matches any toggle sequence: an identity is listed iff its last toggle was on", () => {
    const toggle = fc.record({ who: fc.constantFrom("a", "b", "c"), emoji: fc.constantFrom("👍", "🎉"), on: fc.boolean() });
    fc.assert(
      fc.property(fc.array(toggle, { maxLength: 40 }), (toggles) => {
        let state = logWith(1);
        const last = new Map<string, boolean>();
        for (const { who, emoji, on } of toggles) {
          state = ok(react(state, 1, who, emoji, on)).state;
          last.set(`${emoji}|${who}`, on);
        }
        const reactions = state.messages[0]!.reactions;
        for (const [key, on] of last) {
          const [emoji, who] = key.split("|") as [string, string];
          expect((reactions[emoji] ?? []).includes(who)).toBe(on);
        }
        for (const list of Object.values(reactions)) {
          expect(list.length).toBeGreaterThan(0);
          expect(new Set(list).size).toBe(list.length);
        }
      }),
    );
  });
});

describe("history", () => {
  it("pages newest first with hasMore until the start of the meeting", () => {
    const state = logWith(5);
    const first = history(state, { limit: 2 });
    expect(first.messages.map((m) => m.seq)).toEqual([5, 4]);
    expect(first).toMatchObject({ hasMore: true, exhausted: false });
    const second = history(state, { beforeSeq: 4, limit: 2 });
    expect(second.messages.map((m) => m.seq)).toEqual([3, 2]);
    expect(second.hasMore).toBe(true);
    const last = history(state, { beforeSeq: 2, limit: 2 });
    expect(last.messages.map((m) => m.seq)).toEqual([1]);
    expect(last).toMatchObject({ hasMore: false, exhausted: false });
  });

  it("says hasMore: false when the page ends exactly at the first message", () => {
    expect(history(logWith(2), { limit: 2 })).toMatchObject({ hasMore: false, exhausted: false });
  });

  it("includes deleted messages as tombstones so the seqs stay contiguous", () => {
    const state = ok(deleteMessage(logWith(3), { seq: 2, by: "ann", canModerate: false }, t0)).state;
    expect(history(state, { limit: 10 }).messages.map((m) => [m.seq, m.deleted])).toEqual([
      [3, false],
      [2, true],
      [1, false],
    ]);
  });

  it("returns an empty page for an empty log", () => {
    expect(history(createChatLog(), { limit: 10 })).toEqual({ messages: [], hasMore: false, exhausted: false });
  });

  it("marks the page exhausted when older messages are only in storage", () => {
    const state = logWith(6, { windowSize: 3, persisted: true });
    expect(state.messages.map((m) => m.seq)).toEqual([4, 5, 6]);
    const page = history(state, { limit: 5 });
    expect(page.messages.map((m) => m.seq)).toEqual([6, 5, 4]);
    expect(page).toMatchObject({ hasMore: true, exhausted: true });
    expect(history(state, { beforeSeq: 4, limit: 5 })).toMatchObject({ messages: [], hasMore: true, exhausted: true });
  });

  it("is not exhausted when the window fills the page, even with older messages in storage", () => {
    const state = logWith(6, { windowSize: 3, persisted: true });
    expect(history(state, { limit: 3 })).toMatchObject({ hasMore: true, exhausted: false });
  });

  it("knows about storage when the window was loaded mid-meeting", () => {
    const state = createChatLog({ olderInStorage: true });
    expect(history(state, { limit: 10 })).toMatchObject({ messages: [], hasMore: true, exhausted: true });
  });
});

describe("recent", () => {
  it("returns the last n messages oldest first, for the welcome snapshot", () => {
    expect(recent(logWith(5), 3).map((m) => m.seq)).toEqual([3, 4, 5]);
  });

  it("returns everything when n exceeds the log, and nothing for n = 0", () => {
    expect(recent(logWith(2), 10)).toHaveLength(2);
    expect(recent(logWith(2), 0)).toEqual([]);
  });
});

describe("the in-memory window", () => {
  it("keeps only the newest windowSize messages once they are persisted", () => {
    const state = logWith(10, { windowSize: 4, persisted: true });
    expect(state.messages.map((m) => m.seq)).toEqual([7, 8, 9, 10]);
    expect(state.olderInStorage).toBe(true);
  });

  it("never evicts a message that has not been flushed, so nothing is lost while Postgres is down", () => {
    const state = logWith(10, { windowSize: 4 });
    expect(state.messages).toHaveLength(10);
    expect(state.olderInStorage).toBe(false);
    expect(markPersisted(state, unpersisted(state)).messages.map((m) => m.seq)).toEqual([7, 8, 9, 10]);
  });

  it("trims only from the oldest end, stopping at the first unflushed message", () => {
    let state = logWith(6, { windowSize: 2 });
    state = markPersisted(
      state,
      [1, 2, 4, 5].map((seq) => ({ seq, revision: 0 })),
    );
    expect(state.messages.map((m) => m.seq)).toEqual([3, 4, 5, 6]);
  });
});

describe("outbox bookkeeping", () => {
  it("lists new messages as unpersisted in seq order until the shell marks them", () => {
    const state = logWith(3);
    expect(unpersisted(state).map((m) => m.seq)).toEqual([1, 2, 3]);
    const flushed = markPersisted(state, [{ seq: 2, revision: 0 }]);
    expect(unpersisted(flushed).map((m) => m.seq)).toEqual([1, 3]);
    expect(flushed.messages.find((m) => m.seq === 2)!.persisted).toBe(true);
  });

  it.each([
    ["an edit", (s: ChatLogState) => edit(s, { seq: 1, by: "ann", canModerate: false, body: "new" }, t0)],
    ["a delete", (s: ChatLogState) => deleteMessage(s, { seq: 1, by: "ann", canModerate: false }, t0)],
    ["a reaction", (s: ChatLogState) => react(s, 1, "bob", "👍", true)],
  ])("puts a flushed message back in the outbox after %s", (_label, change) => {
    const state = ok(change(logWith(1, { persisted: true }))).state;
    expect(unpersisted(state).map((m) => m.seq)).toEqual([1]);
  });

  it("does not mark a message persisted if it changed while the flush was in flight", () => {
    let state = logWith(1);
    const inFlight = unpersisted(state).map(({ seq, revision }) => ({ seq, revision }));
    state = ok(edit(state, { seq: 1, by: "ann", canModerate: false, body: "edited meanwhile" }, t0)).state;
    state = markPersisted(state, inFlight);
    expect(unpersisted(state).map((m) => m.body)).toEqual(["edited meanwhile"]);
  });

  it("keeps bookkeeping fields off the wire", () => {
    const wire = toWire(logWith(1).messages[0]!);
    expect(wire).not.toHaveProperty("persisted");
    expect(wire).not.toHaveProperty("revision");
  });
});

describe("persisted form", () => {
  it("each message round-trips through JSON and the schema storage reads it back with", () => {
    let state = logWith(3, { windowSize: 2, persisted: true });
    state = ok(react(state, 3, "bob", "👍", true)).state;
    for (const message of state.messages) expect(storedChatMessageSchema.parse(JSON.parse(JSON.stringify(message)))).toEqual(message);
  });

  it("rejects a corrupt stored message", () => {
    expect(storedChatMessageSchema.safeParse({ seq: 1 }).success).toBe(false);
    const message = logWith(1).messages[0]!;
    expect(storedChatMessageSchema.safeParse({ ...message, revision: -1 }).success).toBe(false);
  });
});

describe("idempotency under any sequence of sends", () => {
  it("stores each (sender, clientMessageId) once, with strictly increasing seqs, first body winning", () => {
    const outgoing = fc.record({
      sender: fc.constantFrom("ann", "bob"),
      clientMessageId: fc.constantFrom("msg-aaaa", "msg-bbbb", "msg-cccc", "msg-dddd"),
      body: fc.string({ maxLength: 5 }),
      withFile: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(outgoing, { maxLength: 40 }), fc.integer({ min: 1, max: 20 }), (sends, windowSize) => {
        let state = createChatLog({ windowSize: 8 + windowSize });
        let nextSeq = 1;
        const firstBody = new Map<string, string>();
        for (const o of sends) {
          const key = `${o.sender}|${o.clientMessageId}`;
          const result = send(
            state,
            { sender: o.sender, clientMessageId: o.clientMessageId, body: o.body, attachments: o.withFile ? [file] : [] },
            nextSeq,
            t0,
          );
          if (!result.ok) {
            expect(result.code).toBe("invalid_frame");
            expect(firstBody.has(key)).toBe(false);
            continue;
          }
          if (result.duplicate) {
            expect(result.message.body).toBe(firstBody.get(key));
          } else {
            expect(firstBody.has(key)).toBe(false);
            firstBody.set(key, o.body);
            nextSeq++; // the shell spends a seq only on a new message
          }
          state = result.state;
          // Flush now and then: the outbox must not disturb idempotency (8 keys at most fit the window).
          if (nextSeq % 3 === 0) state = markPersisted(state, unpersisted(state));
        }
        const keys = state.messages.map((m) => `${m.sender}|${m.clientMessageId}`);
        expect(new Set(keys).size).toBe(keys.length);
        expect(keys.sort()).toEqual([...firstBody.keys()].sort());
        const seqs = state.messages.map((m) => m.seq);
        for (let i = 1; i < seqs.length; i++) expect(seqs[i]!).toBeGreaterThan(seqs[i - 1]!);
      }),
      { numRuns: 300 },
    );
  });
});
