/**
 * Every key the MeetingRoom DO stores: no ad-hoc key strings elsewhere. The room is split so one event
 * rewrites only what it changed: a chat message is one `chat:` key, a frame one `frame:` key, a member one
 * `member:` key. Seqs are zero-padded so a prefix listing returns them in order.
 */
export const roomKeys = {
  /** Small scalars: settings, counters, session, log headers (room-storage-layout.ts `RoomMeta`). */
  meta: "meta",
  lobby: "lobby",
  e2ee: "e2ee",
  /** Tenant that owns the meeting: written on first connect, used for Postgres writes. */
  tenantId: "tenantId",
  /** The whole state as one value: the layout before the split, read once and migrated. */
  legacyRoom: "room",
  member: (identity: string) => `${roomKeyPrefixes.member}${identity}`,
  frame: (seq: number) => `${roomKeyPrefixes.frame}${pad(seq)}`,
  chat: (seq: number) => `${roomKeyPrefixes.chat}${pad(seq)}`,
  /** Postgres writes (participant join/leave, session end) waiting to be flushed, in order. */
  record: (n: number) => `${roomKeyPrefixes.record}${pad(n)}`,
  /** An outbox's retry states (outbox-policy.ts) by record key: only records Postgres refused are in it. */
  outboxRetries: (outbox: "chat" | "records") => `retry:${outbox}`,
  /** A closed batch of call-quality records waiting for the ingestion function (core/analytics-queue.ts). */
  analyticsBatch: (batchId: string) => `${roomKeyPrefixes.analyticsBatch}${batchId}`,
  /** A batch the function refused or kept failing on, kept for inspection (the last few). */
  analyticsDead: (deadAt: number, batchId: string) => `${roomKeyPrefixes.analyticsDead}${pad(deadAt)}:${batchId}`,
  analyticsCounters: "analytics:counters",
} as const;

export const roomKeyPrefixes = {
  member: "member:",
  frame: "frame:",
  chat: "chat:",
  record: "record:",
  analyticsBatch: "analytics:batch:",
  analyticsDead: "analytics:dead:",
} as const;

/** The number in a `frame:`/`chat:`/`record:` key. */
export function keyNumber(key: string, prefix: string): number {
  return Number(key.slice(prefix.length));
}

const pad = (n: number) => String(n).padStart(15, "0");
