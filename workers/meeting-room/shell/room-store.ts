import { roomChanges, roomStateFromEntries, strayKeys } from "../core/room-storage-layout.ts";
import type { RoomState } from "../core/room-state.ts";
import type { RoomEffect } from "../core/room-transition.ts";
import { keyNumber, roomKeyPrefixes, roomKeys } from "../core/storage-keys.ts";

/** The Postgres writes that feed billing: they go through a durable outbox, never only through memory. */
export type RoomRecordEffect = Extract<RoomEffect, { kind: "record_join" | "record_leave" | "record_session_end" | "record_usage" }>;

export interface PendingRecord {
  key: string;
  /** Stable row id: a retried flush inserts the same row, so it lands exactly once. */
  id: string;
  effect: RoomRecordEffect;
}

/** DO storage allows at most 128 keys per put/delete call. */
const maxKeysPerCall = 128;

/**
 * The room's side of Durable Object storage: loads the split layout (room-storage-layout.ts), writes only
 * what an event changed, and keeps the outbox of Postgres records. All writes of one `save` are issued
 * without an intervening await, so the runtime commits them as one transaction.
 */
export class RoomStore {
  private stored: RoomState | undefined;
  private pending: PendingRecord[] = [];
  private nextRecord = 1;
  private tenant: string | undefined;

  constructor(private readonly storage: DurableObjectStorage) {}

  async load(): Promise<RoomState | undefined> {
    const entries = await this.storage.list();
    this.tenant = entries.get(roomKeys.tenantId) as string | undefined;
    this.pending = [];
    for (const [key, value] of entries) {
      if (!key.startsWith(roomKeyPrefixes.record)) continue;
      this.pending.push({ key, ...(value as Omit<PendingRecord, "key">) });
      this.nextRecord = Math.max(this.nextRecord, keyNumber(key, roomKeyPrefixes.record) + 1);
    }
    const legacy = entries.get(roomKeys.legacyRoom) as RoomState | undefined;
    if (legacy) {
      // Rooms stored before the split: write them out key by key once, then drop the single value.
      this.stored = undefined;
      await this.save(legacy, []);
      await this.storage.delete(roomKeys.legacyRoom);
      return legacy;
    }
    const state = roomStateFromEntries(entries);
    this.stored = state;
    if (state) await this.deleteKeys(strayKeys(entries, state));
    return state;
  }

  async save(state: RoomState, records: readonly RoomRecordEffect[]): Promise<void> {
    const { puts, deletes } = roomChanges(this.stored, state);
    for (const effect of records) {
      const record: PendingRecord = { key: roomKeys.record(this.nextRecord++), id: crypto.randomUUID(), effect };
      puts.set(record.key, { id: record.id, effect });
      this.pending.push(record);
    }
    this.stored = state;
    const writes: Promise<unknown>[] = [];
    const entries = [...puts];
    for (let i = 0; i < entries.length; i += maxKeysPerCall) {
      writes.push(this.storage.put(Object.fromEntries(entries.slice(i, i + maxKeysPerCall))));
    }
    writes.push(this.deleteKeys(deletes));
    await Promise.all(writes);
  }

  pendingRecords(): readonly PendingRecord[] {
    return this.pending;
  }

  async completeRecords(done: readonly PendingRecord[]): Promise<void> {
    const keys = new Set(done.map((r) => r.key));
    this.pending = this.pending.filter((r) => !keys.has(r.key));
    await this.deleteKeys([...keys]);
  }

  tenantId(): string | undefined {
    return this.tenant;
  }

  async setTenantId(tenantId: string): Promise<void> {
    // The first connect names the owner; the Worker only ever routes that tenant's tokens here.
    if (this.tenant !== undefined) return;
    this.tenant = tenantId;
    await this.storage.put(roomKeys.tenantId, tenantId);
  }

  private async deleteKeys(keys: readonly string[]): Promise<void> {
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < keys.length; i += maxKeysPerCall) calls.push(this.storage.delete(keys.slice(i, i + maxKeysPerCall)));
    await Promise.all(calls);
  }
}
