import { retryMapSchema, type RetryState } from "../core/outbox-policy.ts";
import { isRecordEffect, storedRecordSchema, type PendingRecord } from "../core/room-records.ts";
import { readRoomState, roomChanges, strayKeys } from "../core/room-storage-layout.ts";
import type { RoomState } from "../core/room-state.ts";
import type { RoomEffect } from "../core/room-transition.ts";
import { keyNumber, roomKeyPrefixes, roomKeys } from "../core/storage-keys.ts";
import type { OutboxName } from "./outbox.ts";

/** DO storage allows at most 128 keys per put/delete call. */
const maxKeysPerCall = 128;

export interface LoadedRoom {
  state: RoomState | undefined;
  /** Keys whose values failed their schema: left out of the state (and deleted); the shell logs them. */
  corrupt: string[];
  retries: Record<OutboxName, Record<string, RetryState>>;
}

/**
 * The room's side of Durable Object storage: loads the split layout (room-storage-layout.ts, every entry
 * checked against its schema), writes only what an event changed, and keeps the outbox of Postgres records
 * and the outboxes' retry states. All writes of one `save` are issued without an intervening await, so the
 * runtime commits them as one transaction. Under load a `save` may be deferred: its changes wait, merged with the
 * next events', and `writeDeferred` issues them all as one transaction before the room sends anything, so a busy
 * room commits once per coalescing window rather than once per message, and nothing leaves the room before the
 * state it reports is written (the runtime's output gate holds a send until the writes issued before it commit).
 */
export class RoomStore {
  private stored: RoomState | undefined;
  /** Changes saved with `defer` and not yet issued; later changes to a key replace earlier ones. */
  private unwritten: { puts: Map<string, unknown>; deletes: Set<string> } | undefined;
  private pending: PendingRecord[] = [];
  private nextRecord = 1;

  constructor(private readonly storage: DurableObjectStorage) {}

  async load(): Promise<LoadedRoom> {
    this.unwritten = undefined;
    const entries = await this.storage.list();
    const corrupt: string[] = [];
    this.pending = [];
    for (const [key, value] of entries) {
      if (!key.startsWith(roomKeyPrefixes.record)) continue;
      this.nextRecord = Math.max(this.nextRecord, keyNumber(key, roomKeyPrefixes.record) + 1);
      const record = storedRecordSchema.safeParse(value);
      if (record.success) this.pending.push({ key, ...record.data });
      else corrupt.push(key);
    }
    const retries = { chat: this.readRetries(entries, "chat", corrupt), records: this.readRetries(entries, "records", corrupt) };
    const read = readRoomState(this.withLegacyRoom(entries));
    corrupt.push(...read.corrupt);
    const state = read.state && !read.state.tenantId ? withLegacyTenant(read.state, entries.get(roomKeys.tenantId)) : read.state;
    if (entries.has(roomKeys.legacyRoom)) {
      // Rooms stored before the split: written out key by key once, then the single value goes.
      this.stored = undefined;
      if (state) await this.save(state, []);
      await this.storage.delete(roomKeys.legacyRoom);
    } else {
      this.stored = state;
    }
    const unreadable = corrupt.filter((key) => key.startsWith(roomKeyPrefixes.record));
    await this.deleteKeys([...(state ? strayKeys(entries, state) : []), ...unreadable]);
    return { state, corrupt, retries };
  }

  /**
   * Stores the state's changes and the event's records (the outbox) in one transaction, with any deferred before
   * them. With `defer` and no records, the changes wait for `writeDeferred` instead (the caller must call it before
   * the room sends anything, answers anything or touches anything outside it).
   */
  async save(state: RoomState, effects: readonly RoomEffect[], options: { defer?: boolean } = {}): Promise<void> {
    const { puts, deletes } = roomChanges(this.stored, state);
    this.unwritten ??= { puts: new Map(), deletes: new Set() };
    const unwritten = this.unwritten;
    for (const key of deletes) {
      unwritten.puts.delete(key);
      unwritten.deletes.add(key);
    }
    for (const [key, value] of puts) {
      unwritten.deletes.delete(key);
      unwritten.puts.set(key, value);
    }
    const records = effects.filter(isRecordEffect);
    for (const effect of records) {
      const record: PendingRecord = { key: roomKeys.record(this.nextRecord++), id: crypto.randomUUID(), effect };
      unwritten.puts.set(record.key, { id: record.id, effect: record.effect });
      this.pending.push(record);
    }
    this.stored = state;
    // An outbox record is written at once: its flush goes to Postgres, which the output gate does not hold.
    if (options.defer && records.length === 0) return;
    await this.writeDeferred();
  }

  /** Whether changes wait for `writeDeferred`. */
  hasDeferred(): boolean {
    return this.unwritten !== undefined;
  }

  /** Issues the deferred changes as one transaction (no await between its calls). */
  writeDeferred(): Promise<void> {
    const unwritten = this.unwritten;
    if (!unwritten) return Promise.resolve();
    this.unwritten = undefined;
    const writes: Promise<unknown>[] = [];
    const entries = [...unwritten.puts];
    for (let i = 0; i < entries.length; i += maxKeysPerCall) {
      writes.push(this.storage.put(Object.fromEntries(entries.slice(i, i + maxKeysPerCall))));
    }
    writes.push(this.deleteKeys([...unwritten.deletes]));
    return Promise.all(writes).then(() => undefined);
  }

  pendingRecords(): readonly PendingRecord[] {
    return this.pending;
  }

  async completeRecords(done: readonly PendingRecord[]): Promise<void> {
    const keys = new Set(done.map((r) => r.key));
    this.pending = this.pending.filter((r) => !keys.has(r.key));
    await this.deleteKeys([...keys]);
  }

  async saveRetries(outbox: OutboxName, retries: Record<string, RetryState>): Promise<void> {
    const key = roomKeys.outboxRetries(outbox);
    if (Object.keys(retries).length) await this.storage.put(key, retries);
    else await this.storage.delete(key);
  }

  private readRetries(entries: ReadonlyMap<string, unknown>, outbox: OutboxName, corrupt: string[]): Record<string, RetryState> {
    const key = roomKeys.outboxRetries(outbox);
    if (!entries.has(key)) return {};
    const parsed = retryMapSchema.safeParse(entries.get(key));
    if (parsed.success) return parsed.data;
    corrupt.push(key);
    return {};
  }

  /** A room stored as one value before the split reads as its split entries, so it goes through the same checks. */
  private withLegacyRoom(entries: Map<string, unknown>): ReadonlyMap<string, unknown> {
    const legacy = entries.get(roomKeys.legacyRoom);
    if (legacy === undefined || entries.has(roomKeys.meta)) return entries;
    try {
      return new Map([...entries, ...roomChanges(undefined, legacy as RoomState).puts]);
    } catch {
      return new Map([...entries, [roomKeys.meta, legacy]]); // fails the meta schema, and is reported as corrupt
    }
  }

  private async deleteKeys(keys: readonly string[]): Promise<void> {
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < keys.length; i += maxKeysPerCall) calls.push(this.storage.delete(keys.slice(i, i + maxKeysPerCall)));
    await Promise.all(calls);
  }
}

/** Rooms stored before the meta carried the tenant kept it under its own key. */
function withLegacyTenant(state: RoomState, tenantId: unknown): RoomState {
  return typeof tenantId === "string" ? { ...state, tenantId } : state;
}
