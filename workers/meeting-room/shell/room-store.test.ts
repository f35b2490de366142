import { describe, expect, it } from "vitest";
import { reduce } from "../core/room-reducer.ts";
import { roomStateFromEntries } from "../core/room-storage-layout.ts";
import { createRoomState, type Participant, type RoomState } from "../core/room-state.ts";
import { RoomStore } from "./room-store.ts";

const start = Date.parse("2026-12-04T10:00:00Z");
const person = (identity: string, role: Participant["role"]): Participant => ({
  identity,
  role,
  tokenId: `t-${identity}`,
  tokenExpiresAt: new Date(start + 3_600_000),
});

/** DO storage as a map, counting the calls that would each be part of a commit. */
class MapStorage {
  readonly entries = new Map<string, unknown>();
  calls = 0;
  async put(values: Record<string, unknown>) {
    this.calls++;
    for (const [key, value] of Object.entries(values)) this.entries.set(key, structuredClone(value));
  }
  async delete(keys: string | string[]) {
    this.calls++;
    for (const key of [keys].flat()) this.entries.delete(key);
    return true;
  }
  async list() {
    return new Map([...this.entries].sort());
  }
}

/** A room whose replay log and chat window are small, so a flood pushes old frames and messages out. */
function busyRoom(): RoomState {
  const state = createRoomState("meeting-1", { waitingRoom: false }, "tenant-1");
  return {
    ...state,
    frames: { ...state.frames, limits: { ...state.frames.limits, maxEntries: 4 } },
    chat: { ...state.chat, windowSize: 3 },
  };
}

const hello = (state: RoomState, who: Participant, now: number) =>
  reduce(
    state,
    { kind: "hello", participant: who, frame: { type: "hello", id: `h-${who.identity}`, protocolVersion: 1 }, iceServers: [] },
    now,
  );
const chat = (state: RoomState, identity: string, n: number, now: number) =>
  reduce(
    state,
    { kind: "frame", identity, frame: { type: "chat_send", id: `c${n}`, clientMessageId: `m${n}`, body: `message ${n}`, attachments: [] } },
    now,
  );
const persisted = (state: RoomState, now: number) =>
  reduce(state, { kind: "chat_persisted", flushed: state.chat.messages.map((m) => ({ seq: m.seq, revision: m.revision })) }, now);

describe("RoomStore's deferred writes", () => {
  it("holds deferred changes until writeDeferred, then issues them as one put and one delete that leave storage as the state", async () => {
    const storage = new MapStorage();
    const store = new RoomStore(storage as unknown as DurableObjectStorage);
    await store.load();
    let state = busyRoom();
    for (const [who, role, at] of [
      ["ana", "host", 0],
      ["bo", "guest", 10],
    ] as const) {
      const result = hello(state, person(who, role), start + at);
      await store.save(result.state, result.effects);
      state = result.state;
    }
    const written = new Map(storage.entries);
    const callsBefore = storage.calls;
    // A flood of chat (and Postgres catching up, so old messages and frames leave the windows): all deferred.
    for (let n = 1; n <= 12; n++) {
      let result = chat(state, n % 2 ? "ana" : "bo", n, start + 100 * n);
      await store.save(result.state, result.effects, { defer: true });
      result = persisted(result.state, start + 100 * n + 1);
      await store.save(result.state, result.effects, { defer: true });
      state = result.state;
    }
    expect(storage.calls).toBe(callsBefore);
    expect(storage.entries).toEqual(written);
    expect(store.hasDeferred()).toBe(true);

    await store.writeDeferred();
    expect(storage.calls).toBe(callsBefore + 2);
    expect(store.hasDeferred()).toBe(false);
    // Keys put and later deleted within the window never reach storage; the rest read back as the state.
    expect(roomStateFromEntries(await storage.list())).toEqual(state);
    await store.writeDeferred();
    expect(storage.calls).toBe(callsBefore + 2);
  });

  it("writes at once, with everything deferred before it, when an event carries an outbox record", async () => {
    const storage = new MapStorage();
    const store = new RoomStore(storage as unknown as DurableObjectStorage);
    await store.load();
    let state = busyRoom();
    const joined = hello(state, person("ana", "host"), start);
    await store.save(joined.state, joined.effects);
    state = joined.state;
    const said = chat(state, "ana", 1, start + 50);
    await store.save(said.state, said.effects, { defer: true });
    expect(store.hasDeferred()).toBe(true);
    // A join makes a participant record: the event is written now, the deferred chat with it.
    const bo = hello(said.state, person("bo", "guest"), start + 60);
    expect(bo.effects.some((effect) => effect.kind === "record_join")).toBe(true);
    await store.save(bo.state, bo.effects, { defer: true });
    expect(store.hasDeferred()).toBe(false);
    expect(store.pendingRecords().map((r) => r.effect.kind)).toContain("record_join");
    const reloaded = new RoomStore(storage as unknown as DurableObjectStorage);
    const { state: read } = await reloaded.load();
    expect(read).toEqual(bo.state);
    expect(reloaded.pendingRecords().map((r) => r.effect.kind)).toEqual(store.pendingRecords().map((r) => r.effect.kind));
  });
});
