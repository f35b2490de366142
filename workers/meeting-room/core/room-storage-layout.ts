import type { StoredChatMessage } from "./chat-log.ts";
import { createFrameLog, type FrameLog, type FrameLogEntry } from "./frame-log.ts";
import { emptyMediaPresence } from "./media-presence.ts";
import type { Member, RoomState } from "./room-state.ts";
import { roomKeyPrefixes, roomKeys } from "./storage-keys.ts";

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
    session: state.session,
    frames: { limits, lastSeq, evictedThrough },
    chat: { windowSize: state.chat.windowSize, olderInStorage: state.chat.olderInStorage },
  };
}

/** The keys to write and delete to go from `before` (what storage holds; undefined when empty) to `after`. */
export function roomChanges(before: RoomState | undefined, after: RoomState): StorageChanges {
  const puts = new Map<string, unknown>();
  const deletes: string[] = [];

  const meta = roomMeta(after);
  if (!before || JSON.stringify(roomMeta(before)) !== JSON.stringify(meta)) puts.set(roomKeys.meta, meta);
  if (before?.lobby !== after.lobby) puts.set(roomKeys.lobby, after.lobby);
  if (before?.e2eeKeys !== after.e2eeKeys) puts.set(roomKeys.e2ee, after.e2eeKeys);

  for (const [identity, member] of Object.entries(after.members)) {
    if (before?.members[identity] !== member) puts.set(roomKeys.member(identity), member);
  }
  for (const identity of Object.keys(before?.members ?? {})) {
    if (!(identity in after.members)) deletes.push(roomKeys.member(identity));
  }

  const newFramesAfter = before?.frames.lastSeq ?? -1;
  for (const entry of after.frames.entries) {
    if (entry.frame.seq > newFramesAfter) puts.set(roomKeys.frame(entry.frame.seq), entry);
  }
  if (before) {
    // Evicted frames sit at the front: every seq between the two eviction marks is gone now.
    const firstHeld = before.frames.evictedThrough + 1;
    for (let seq = firstHeld; seq <= after.frames.evictedThrough && seq <= before.frames.lastSeq; seq++) {
      deletes.push(roomKeys.frame(seq));
    }
  }

  const previousMessages = new Map((before?.chat.messages ?? []).map((m) => [m.seq, m]));
  for (const message of after.chat.messages) {
    if (previousMessages.get(message.seq) !== message) puts.set(roomKeys.chat(message.seq), message);
    previousMessages.delete(message.seq);
  }
  // Left the window: Postgres holds them (the chat log never evicts an unflushed message).
  for (const seq of previousMessages.keys()) deletes.push(roomKeys.chat(seq));

  return { puts, deletes };
}

/**
 * Rebuilds the state from a full storage listing, or undefined when the room was never stored.
 * A frame log whose entries are not contiguous is started afresh after its last seq, so numbering never
 * repeats and a resuming client gets a snapshot rather than a gap.
 */
export function roomStateFromEntries(entries: ReadonlyMap<string, unknown>): RoomState | undefined {
  const meta = entries.get(roomKeys.meta) as RoomMeta | undefined;
  if (!meta) return undefined;
  const members: Record<string, Member> = {};
  const frames: FrameLogEntry[] = [];
  const messages: StoredChatMessage[] = [];
  for (const [key, value] of entries) {
    if (key.startsWith(roomKeyPrefixes.member)) members[key.slice(roomKeyPrefixes.member.length)] = value as Member;
    else if (key.startsWith(roomKeyPrefixes.frame)) frames.push(value as FrameLogEntry);
    else if (key.startsWith(roomKeyPrefixes.chat)) messages.push(value as StoredChatMessage);
  }
  frames.sort((a, b) => a.frame.seq - b.frame.seq);
  messages.sort((a, b) => a.seq - b.seq);
  return {
    meetingId: meta.meetingId,
    tenantId: meta.tenantId,
    settings: meta.settings,
    endedReason: meta.endedReason,
    members,
    lobby: entries.get(roomKeys.lobby) as RoomState["lobby"],
    chat: { ...meta.chat, messages },
    chatSeq: meta.chatSeq,
    frames: restoreFrameLog(meta.frames, frames),
    spotlight: meta.spotlight,
    media: meta.media ?? emptyMediaPresence(),
    mediaMode: meta.mediaMode ?? { kind: "p2p" },
    locationHint: meta.locationHint ?? null,
    e2eeKeys: (entries.get(roomKeys.e2ee) as RoomState["e2eeKeys"] | undefined) ?? {},
    session: meta.session,
  };
}

function restoreFrameLog(header: RoomMeta["frames"], entries: FrameLogEntry[]): FrameLog {
  const contiguous =
    header.evictedThrough + entries.length === header.lastSeq && entries.every((e, i) => e.frame.seq === header.evictedThrough + i + 1);
  if (contiguous) return { ...header, entries };
  return createFrameLog({ ...header.limits, startAfterSeq: header.lastSeq });
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
