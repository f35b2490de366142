import type { RoomState } from "./room-state.ts";

/** Every key the MeetingRoom DO stores, with its value type: no ad-hoc key strings elsewhere. */
export interface RoomStorage {
  /** The whole room state machine (members, lobby, chat window, frame log). */
  room: RoomState;
  /** Tenant that owns the meeting: written on first connect, used for Postgres writes. */
  tenantId: string;
}

export type RoomStorageKey = keyof RoomStorage;

export async function readKey<K extends RoomStorageKey>(storage: DurableObjectStorage, key: K): Promise<RoomStorage[K] | undefined> {
  return storage.get<RoomStorage[K]>(key);
}

export async function writeKey<K extends RoomStorageKey>(storage: DurableObjectStorage, key: K, value: RoomStorage[K]): Promise<void> {
  await storage.put(key, value);
}
