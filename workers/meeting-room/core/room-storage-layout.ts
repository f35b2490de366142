import { storedChatMessageSchema, type StoredChatMessage } from "./chat-log.ts";
import { createFrameLog, frameLogFromJSON, type FrameLog } from "./frame-log.ts";
import { emptyMediaPresence } from "./media-presence.ts";
import type { Member, RoomState } from "./room-state.ts";
import { storedE2eeKeysSchema, storedMemberSchema, storedMetaSchema } from "./stored-room.ts";
import { roomKeyPrefixes, roomKeys } from "./storage-keys.ts";
import { createWaitingRoom, waitingRoomStateSchema } from "./waiting-room.ts";

/**
 * How a RoomState maps onto Durable Object storage keys, and which keys one event changed. Pure.
 *
 * Writing the whole state per event cost ~1 MB per chat message in a busy meeting (the frame log and the
 * chat window dominate) and could outgrow a single value. Split by entry, an event writes a few hundred
 * bytes: the new frames, the touched members and messages, and the small `meta` record. The reducer's
 * updates are immutable, so "changed" is a reference comparison.
 */
export interface RoomMeta {
  version: 2;
  meetingId: string;
  tenantId: string;
  settings: RoomState["settings"];
  endedReason: string | null;
  chatSeq: number;
  spotlight: string | null;
  media: RoomState["media"];
  mediaMode: RoomState["mediaMode"];
  locationHint: RoomState["locationHint"];
  recording: RoomState["recording"];
  session: RoomState["session"];
  frames: Pick<FrameLog, "limits" | "lastSeq" | "evictedThrough">;
  chat: { windowSize: number; olderInStorage: boolean };
}

export interface StorageChanges {
  puts: Map<string, unknown>;
  deletes: string[];
}

export function roomMeta(state: RoomState): RoomMeta {
  const { limits, lastSeq, evictedThrough } = state.frames;
  return {
    version: 2,
    meetingId: state.meetingId,
    tenantId: state.tenantId,
    settings: state.settings,
    endedReason: state.endedReason,
    chatSeq: state.chatSeq,
    spotlight: state.spotlight,
    media: state.media,
    mediaMode: state.mediaMode,
    locationHint: state.locationHint,
    recording: state.recording,
    session: state.session,
    frames: { limits, lastSeq, evictedThrough },
    chat: { windowSize: state.chat.windowSize, olderInStorage: state.chat.olderInStorage },
  };
}

/**
 * The keys to write and delete to go from `before` (what storage holds; undefined when empty) to `after`. Runs on
 * every event, so it costs what the event changed, not what the room holds: unchanged parts are skipped by
 * reference, new frames are found from the end of the log, and the chat windows are merged by seq.
 */
export function roomChanges(before: RoomState | undefined, after: RoomState): StorageChanges {
  const puts = new Map<string, unknown>();
  const deletes: string[] = [];

  if (!before || metaChanged(before, after)) puts.set(roomKeys.meta, roomMeta(after));
  if (before?.lobby !== after.lobby) puts.set(roomKeys.lobby, after.lobby);
  if (before?.e2eeKeys !== after.e2eeKeys) puts.set(roomKeys.e2ee, after.e2eeKeys);

  if (before?.members !== after.members) {
    for (const identity in after.members) {
      if (before?.members[identity] !== after.members[identity]) puts.set(roomKeys.member(identity), after.members[identity]);
    }
    for (const identity in before?.members) {
      if (!(identity in after.members)) deletes.push(roomKeys.member(identity));
    }
  }

  const newFramesAfter = before?.frames.lastSeq ?? -1;
  const entries = after.frames.entries;
  let firstNew = entries.length;
  while (firstNew > 0 && entries[firstNew - 1]!.frame.seq > newFramesAfter) firstNew--;
  for (let i = firstNew; i < entries.length; i++) puts.set(roomKeys.frame(entries[i]!.frame.seq), entries[i]);
  if (before) {
    // Evicted frames sit at the front: every seq between the two eviction marks is gone now.
    const firstHeld = before.frames.evictedThrough + 1;
    for (let seq = firstHeld; seq <= after.frames.evictedThrough && seq <= before.frames.lastSeq; seq++) {
      deletes.push(roomKeys.frame(seq));
    }
  }

  if (before?.chat.messages !== after.chat.messages) chatChanges(before?.chat.messages ?? [], after.chat.messages, puts, deletes);
  return { puts, deletes };
}

/**
 * The reducer replaces what it changes, so meta's fields (and those of the small objects roomMeta builds for
 * `frames` and `chat`) are compared by reference: never a miss, at worst a write of an equal value.
 */
function metaChanged(before: RoomState, after: RoomState): boolean {
  const a = roomMeta(before) as unknown as Record<string, unknown>;
  const b = roomMeta(after) as unknown as Record<string, unknown>;
  return Object.keys(b).some((key) => a[key] !== b[key] && !((key === "frames" || key === "chat") && sameFields(a[key], b[key])));
}

function sameFields(a: unknown, b: unknown): boolean {
  const [x, y] = [a as Record<string, unknown>, b as Record<string, unknown>];
  return Object.keys(y).every((key) => x[key] === y[key]);
}

/**
 * Messages new or changed in the window are put; those that left it are deleted (Postgres holds them: the chat log
 * never evicts an unflushed message). Both windows are in seq order, so one merge pass finds them; the pass checks
 * the order as it goes and hands a window out of order to the slower match by seq.
 */
function chatChanges(
  previous: readonly StoredChatMessage[],
  current: readonly StoredChatMessage[],
  puts: Map<string, unknown>,
  deletes: string[],
): void {
  const changed: StoredChatMessage[] = [];
  const gone: number[] = [];
  let i = 0;
  let lastSeq = Number.NEGATIVE_INFINITY;
  let lastPreviousSeq = Number.NEGATIVE_INFINITY;
  // Whether previous[i], about to be passed, comes after the one passed before it.
  const previousInOrder = (): boolean => {
    if (previous[i]!.seq <= lastPreviousSeq) return false;
    lastPreviousSeq = previous[i]!.seq;
    return true;
  };
  for (const message of current) {
    if (message.seq <= lastSeq) return chatChangesByKey(previous, current, puts, deletes);
    lastSeq = message.seq;
    while (i < previous.length && previous[i]!.seq < message.seq) {
      if (!previousInOrder()) return chatChangesByKey(previous, current, puts, deletes);
      gone.push(previous[i++]!.seq);
    }
    if (i < previous.length && previous[i]!.seq === message.seq) {
      if (!previousInOrder()) return chatChangesByKey(previous, current, puts, deletes);
      if (previous[i] !== message) changed.push(message);
      i++;
    } else changed.push(message);
  }
  for (; i < previous.length; i++) {
    if (!previousInOrder()) return chatChangesByKey(previous, current, puts, deletes);
    gone.push(previous[i]!.seq);
  }
  for (const seq of gone) deletes.push(roomKeys.chat(seq));
  for (const message of changed) puts.set(roomKeys.chat(message.seq), message);
}

/** The same answer for windows out of order (none the chat log builds): matched by seq. */
function chatChangesByKey(
  previous: readonly StoredChatMessage[],
  current: readonly StoredChatMessage[],
  puts: Map<string, unknown>,
  deletes: string[],
): void {
  const previousBySeq = new Map(previous.map((m) => [m.seq, m]));
  for (const message of current) {
    if (previousBySeq.get(message.seq) !== message) puts.set(roomKeys.chat(message.seq), message);
    previousBySeq.delete(message.seq);
  }
  for (const seq of previousBySeq.keys()) deletes.push(roomKeys.chat(seq));
}

/** A room read back from storage, and the entries that failed their schema (left out; the shell logs them). */
export interface StoredRoom {
  state: RoomState | undefined;
  corrupt: string[];
}

/**
 * Rebuilds the state from a full storage listing (undefined when the room was never stored), checking every
 * entry against its schema. A corrupt member, message or lobby is left out (the lobby starts empty); a corrupt
 * meta leaves no room to rebuild. A frame log that is corrupt or not contiguous is started afresh after its
 * last seq, so numbering never repeats and a resuming client gets a snapshot rather than a gap.
 */
export function readRoomState(entries: ReadonlyMap<string, unknown>): StoredRoom {
  const corrupt: string[] = [];
  const check = <T>(
    key: string,
    schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } },
    value: unknown,
  ): T | undefined => {
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    corrupt.push(key);
    return undefined;
  };
  if (!entries.has(roomKeys.meta)) return { state: undefined, corrupt };
  const meta = check(roomKeys.meta, storedMetaSchema, entries.get(roomKeys.meta));
  if (!meta) return { state: undefined, corrupt };
  const members: Record<string, Member> = {};
  const frames: Array<[string, unknown]> = [];
  const messages: StoredChatMessage[] = [];
  for (const [key, value] of entries) {
    if (key.startsWith(roomKeyPrefixes.member)) {
      const member = check(key, storedMemberSchema, value);
      if (member) members[key.slice(roomKeyPrefixes.member.length)] = member;
    } else if (key.startsWith(roomKeyPrefixes.frame)) frames.push([key, value]);
    else if (key.startsWith(roomKeyPrefixes.chat)) {
      const message = check(key, storedChatMessageSchema, value);
      if (message) messages.push(message);
    }
  }
  // Keys are zero-padded seqs: sorting them orders the entries without trusting the values.
  frames.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  messages.sort((a, b) => a.seq - b.seq);
  const lobby = entries.has(roomKeys.lobby) ? check(roomKeys.lobby, waitingRoomStateSchema, entries.get(roomKeys.lobby)) : undefined;
  const e2ee = entries.has(roomKeys.e2ee) ? check(roomKeys.e2ee, storedE2eeKeysSchema, entries.get(roomKeys.e2ee)) : undefined;
  const restored = restoreFrameLog(
    meta.frames,
    frames.map(([, value]) => value),
  );
  if (restored.corrupt) corrupt.push(roomKeyPrefixes.frame);
  const state: RoomState = {
    meetingId: meta.meetingId,
    tenantId: meta.tenantId ?? "",
    settings: meta.settings,
    endedReason: meta.endedReason,
    members,
    lobby: lobby ?? createWaitingRoom({ enabled: meta.settings.waitingRoom }),
    chat: { ...meta.chat, messages },
    chatSeq: meta.chatSeq,
    frames: restored.log,
    spotlight: meta.spotlight,
    media: meta.media ?? emptyMediaPresence(),
    mediaMode: meta.mediaMode ?? { kind: "p2p" },
    locationHint: meta.locationHint ?? null,
    recording: meta.recording ?? null,
    e2eeKeys: e2ee ?? {},
    session: meta.session,
  };
  return { state, corrupt };
}

export const roomStateFromEntries = (entries: ReadonlyMap<string, unknown>): RoomState | undefined => readRoomState(entries).state;

/** The stored frames as a log, checked whole (frame-log.ts: every frame, contiguous seqs, time order). */
function restoreFrameLog(header: RoomMeta["frames"], entries: unknown[]): { corrupt: boolean; log: FrameLog } {
  const parsed = frameLogFromJSON({ version: 1, ...header, entries });
  if (parsed.ok) return { corrupt: false, log: parsed.log };
  // Entries lost in a crash (a gap) are expected, not corruption; a frame failing its schema is.
  const gap = entries.length !== header.lastSeq - header.evictedThrough;
  return { corrupt: !gap, log: createFrameLog({ ...header.limits, startAfterSeq: header.lastSeq }) };
}

/** Keys a listing holds that belong to no part of the state any more (e.g. left over from a crash). */
export function strayKeys(entries: ReadonlyMap<string, unknown>, state: RoomState): string[] {
  const wanted = new Set(roomChanges(undefined, state).puts.keys());
  const stray: string[] = [];
  for (const key of entries.keys()) {
    const partOfState = [roomKeyPrefixes.member, roomKeyPrefixes.frame, roomKeyPrefixes.chat].some((p) => key.startsWith(p));
    if (partOfState && !wanted.has(key)) stray.push(key);
  }
  return stray;
}
