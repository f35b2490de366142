import { describe, expect, it } from "vitest";
import { reduce } from "./room-reducer.ts";
import { livenessRefreshMs } from "./liveness.ts";
import { readRoomState, roomChanges, roomStateFromEntries, strayKeys } from "./room-storage-layout.ts";
import { createRoomState, type Participant, type RoomState } from "./room-state.ts";
import { roomKeys } from "./storage-keys.ts";

const start = Date.parse("2026-11-24T10:00:00Z");
const host: Participant = { identity: "ana", role: "host", tokenId: "t-ana", tokenExpiresAt: new Date(start + 3_600_000) };
const guest: Participant = { identity: "bo", role: "guest", tokenId: "t-bo", tokenExpiresAt: new Date(start + 3_600_000) };

function hello(state: RoomState, who: Participant, now: number): RoomState {
  return reduce(
    state,
    { kind: "hello", participant: who, frame: { type: "hello", id: `h-${who.identity}`, protocolVersion: 1 }, iceServers: [] },
    now,
  ).state;
}

function chat(state: RoomState, identity: string, n: number, now: number): RoomState {
  const frame = { type: "chat_send" as const, id: `c${n}`, clientMessageId: `m${n}`, body: `message ${n}`, attachments: [] };
  return reduce(state, { kind: "frame", identity, frame }, now).state;
}

/** Applies changes to a map the way the DO's storage would. */
function applyTo(storage: Map<string, unknown>, before: RoomState | undefined, after: RoomState) {
  const { puts, deletes } = roomChanges(before, after);
  for (const key of deletes) storage.delete(key);
  for (const [key, value] of puts) storage.set(key, structuredClone(value));
  return { puts, deletes };
}

function twoPeopleRoom() {
  let state = createRoomState("meeting-1", { waitingRoom: false });
  state = hello(state, host, start);
  state = hello(state, guest, start + 10);
  return state;
}

describe("room storage layout", () => {
  it("a fresh room writes meta, lobby, keys, each member and each frame under its own key", () => {
    const state = twoPeopleRoom();
    const { puts, deletes } = roomChanges(undefined, state);
    expect(deletes).toEqual([]);
    expect(puts.has(roomKeys.meta)).toBe(true);
    expect(puts.has(roomKeys.member("ana"))).toBe(true);
    expect(puts.has(roomKeys.member("bo"))).toBe(true);
    for (const entry of state.frames.entries) expect(puts.get(roomKeys.frame(entry.frame.seq))).toBe(entry);
  });

  it("a chat message writes only its own key, its frame and the meta counters; the sender too once its liveness is a refresh old", () => {
    const before = twoPeopleRoom();
    const after = chat(before, "bo", 1, start + 20);
    const { puts, deletes } = roomChanges(before, after);
    const message = after.chat.messages.at(-1)!;
    const newFrames = after.frames.entries.filter((e) => e.frame.seq > before.frames.lastSeq).map((e) => roomKeys.frame(e.frame.seq));
    expect([...puts.keys()].sort()).toEqual([roomKeys.chat(message.seq), roomKeys.meta, ...newFrames].sort());
    expect(deletes).toEqual([]);

    const later = chat(after, "bo", 2, before.members.bo!.lastSeenAt + livenessRefreshMs(before.settings));
    expect([...roomChanges(after, later).puts.keys()]).toContain(roomKeys.member("bo"));
  });

  it("round-trips through storage: the state read back equals the state written", () => {
    const storage = new Map<string, unknown>();
    let state = twoPeopleRoom();
    applyTo(storage, undefined, state);
    for (let n = 1; n <= 5; n++) {
      const next = chat(state, n % 2 ? "ana" : "bo", n, start + 100 * n);
      applyTo(storage, state, next);
      state = next;
    }
    expect(roomStateFromEntries(new Map([...storage].sort()))).toEqual(state);
  });

  it("frames evicted from the replay log and messages leaving the chat window are deleted from storage", () => {
    let state = twoPeopleRoom();
    state = {
      ...state,
      frames: { ...state.frames, limits: { ...state.frames.limits, maxEntries: 3 } },
      chat: { ...state.chat, windowSize: 2 },
    };
    const storage = new Map<string, unknown>();
    applyTo(storage, undefined, state);
    for (let n = 1; n <= 6; n++) {
      let next = chat(state, "ana", n, start + 1000 * n);
      // The window only lets go of messages Postgres has.
      next = reduce(
        next,
        { kind: "chat_persisted", flushed: next.chat.messages.map((m) => ({ seq: m.seq, revision: m.revision })) },
        start + 1000 * n,
      ).state;
      applyTo(storage, state, next);
      state = next;
    }
    const frameKeys = [...storage.keys()].filter((k) => k.startsWith("frame:"));
    const chatKeys = [...storage.keys()].filter((k) => k.startsWith("chat:"));
    expect(frameKeys).toHaveLength(3);
    expect(chatKeys.sort()).toEqual(state.chat.messages.map((m) => roomKeys.chat(m.seq)).sort());
    expect(chatKeys.length).toBeLessThanOrEqual(2);
    expect(roomStateFromEntries(storage)).toEqual(state);
  });

  it("meta is written when one of its fields changes, and only then", () => {
    const before = chat(twoPeopleRoom(), "bo", 1, start + 20);
    const flushed = before.chat.messages.map((m) => ({ seq: m.seq, revision: m.revision }));
    const persisted = reduce(before, { kind: "chat_persisted", flushed }, start + 30).state;
    const persistedChanges = roomChanges(before, persisted);
    expect(persistedChanges.puts.has(roomKeys.meta)).toBe(false);
    expect([...persistedChanges.puts.keys()]).toEqual([roomKeys.chat(before.chat.messages[0]!.seq)]);

    const edited = { ...persisted, settings: { ...persisted.settings, waitingRoom: !persisted.settings.waitingRoom } };
    expect(roomChanges(persisted, edited).puts.get(roomKeys.meta)).toMatchObject({ settings: edited.settings });
    const resized = { ...persisted, chat: { ...persisted.chat, windowSize: persisted.chat.windowSize + 1 } };
    expect(roomChanges(persisted, resized).puts.get(roomKeys.meta)).toMatchObject({ chat: { windowSize: resized.chat.windowSize } });
    expect(roomChanges(persisted, { ...persisted }).puts.size).toBe(0);
  });

  it("a chat window out of seq order is still diffed by seq", () => {
    const one = chat(twoPeopleRoom(), "bo", 1, start + 20);
    const two = chat(one, "ana", 2, start + 30);
    const [first, second] = two.chat.messages;
    const swapped = { ...two, chat: { ...two.chat, messages: [second!, first!] } };
    const { puts, deletes } = roomChanges(one, swapped);
    expect([...puts.keys()].filter((k) => k.startsWith("chat:"))).toEqual([roomKeys.chat(second!.seq)]);
    expect(deletes).toEqual([]);
  });

  it("a stored window out of seq order past its first messages is diffed by seq too, with nothing written twice", () => {
    const three = chat(chat(chat(twoPeopleRoom(), "bo", 1, start + 20), "ana", 2, start + 30), "bo", 3, start + 40);
    const four = chat(three, "ana", 4, start + 50);
    const [m1, m2, m3] = three.chat.messages;
    const storedOutOfOrder = { ...three, chat: { ...three.chat, messages: [m1!, m3!, m2!] } };
    const { puts, deletes } = roomChanges(storedOutOfOrder, four);
    expect([...puts.keys()].filter((k) => k.startsWith("chat:"))).toEqual([roomKeys.chat(four.chat.messages[3]!.seq)]);
    expect(deletes.filter((k) => k.startsWith("chat:"))).toEqual([]);
  });

  it("a member who leaves loses their key", () => {
    const before = twoPeopleRoom();
    const after = reduce(before, { kind: "disconnected", identity: "bo", clean: true }, start + 50).state;
    expect(roomChanges(before, after).deletes).toContain(roomKeys.member("bo"));
  });

  it("an empty storage holds no room", () => {
    expect(roomStateFromEntries(new Map())).toBeUndefined();
  });

  it("a frame log with a hole is restarted after its last seq instead of replaying across the gap", () => {
    const state = twoPeopleRoom();
    const storage = new Map<string, unknown>();
    applyTo(storage, undefined, state);
    storage.delete(roomKeys.frame(state.frames.entries[0]!.frame.seq + 1));
    const restored = roomStateFromEntries(storage)!;
    expect(restored.frames.entries).toEqual([]);
    expect(restored.frames.lastSeq).toBe(state.frames.lastSeq);
    expect(restored.frames.evictedThrough).toBe(state.frames.lastSeq);
  });

  it("finds keys no part of the state owns", () => {
    const state = twoPeopleRoom();
    const storage = new Map<string, unknown>();
    applyTo(storage, undefined, state);
    storage.set(roomKeys.member("ghost"), {});
    storage.set(roomKeys.chat(999), {});
    expect(strayKeys(storage, state).sort()).toEqual([roomKeys.chat(999), roomKeys.member("ghost")].sort());
  });

  it("leaves out a corrupt member, message or lobby and names it, instead of failing the whole room", () => {
    let state = twoPeopleRoom();
    state = chat(state, "ana", 1, start + 100);
    state = chat(state, "bo", 2, start + 200);
    const storage = new Map<string, unknown>();
    applyTo(storage, undefined, state);
    const [first, second] = state.chat.messages;
    storage.set(roomKeys.member("bo"), { identity: "bo", role: "emperor" });
    storage.set(roomKeys.chat(first!.seq), { seq: "one" });
    storage.set(roomKeys.lobby, "not a lobby");
    const { state: restored, corrupt } = readRoomState(storage);
    expect(corrupt.sort()).toEqual([roomKeys.chat(first!.seq), roomKeys.lobby, roomKeys.member("bo")].sort());
    expect(Object.keys(restored!.members)).toEqual(["ana"]);
    expect(restored!.chat.messages).toEqual([second]);
    expect(restored!.lobby).toMatchObject({ enabled: false, queue: [] });
    // The corrupt keys belong to no part of the state, so the store deletes them.
    expect(strayKeys(storage, restored!)).toEqual(expect.arrayContaining([roomKeys.chat(first!.seq), roomKeys.member("bo")]));
  });

  it("restarts a frame log holding a corrupt frame after its last seq, and says so", () => {
    const state = twoPeopleRoom();
    const storage = new Map<string, unknown>();
    applyTo(storage, undefined, state);
    const seq = state.frames.entries[0]!.frame.seq;
    storage.set(roomKeys.frame(seq), { at: 0, audience: { kind: "all" }, frame: { type: "nonsense", seq } });
    const { state: restored, corrupt } = readRoomState(storage);
    expect(corrupt).toEqual(["frame:"]);
    expect(restored!.frames.entries).toEqual([]);
    expect(restored!.frames.lastSeq).toBe(state.frames.lastSeq);
  });

  it("a corrupt meta leaves no room to rebuild, and is named", () => {
    const storage = new Map<string, unknown>(applyTo(new Map(), undefined, twoPeopleRoom()).puts);
    storage.set(roomKeys.meta, { version: 2, meetingId: 7 });
    expect(readRoomState(storage)).toEqual({ state: undefined, corrupt: [roomKeys.meta] });
  });
});
