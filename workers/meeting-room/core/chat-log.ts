import { z } from "zod";
import { chatMessageSchema, type ChatMessage } from "../../../protocol/server-frames.ts";
import { refuse, type Refusal } from "./room-refusal.ts";

/**
 * The meeting's chat as the Durable Object holds it: a bounded window of the newest messages plus an
 * outbox of changes not yet flushed to Postgres. Pure and immutable; `seq` and `now` come from the shell.
 *
 * The window keeps the last `windowSize` messages. Older ones live in storage/Postgres and reading them is
 * the shell's job: `history` says `exhausted: true` when the window ran out before the page was full.
 * Eviction never drops a message whose latest change is unflushed, so a slow Postgres can't lose chat;
 * while it is down the window may exceed `windowSize` and the shell should watch `unpersisted(...).length`.
 *
 * Idempotency of `send` (sender, clientMessageId) holds inside the window, which is where client retries
 * land; a unique index on those columns in Postgres is the backstop for anything older.
 */
export const storedChatMessageSchema = chatMessageSchema.extend({
  /** Bumped on every change so a flush that raced an edit can't mark the newer version as flushed. */
  revision: z.number().int().min(0),
  persisted: z.boolean(),
});
export type StoredChatMessage = z.infer<typeof storedChatMessageSchema>;

export const chatLogStateSchema = z.object({
  windowSize: z.number().int().min(1),
  /** True once anything was evicted or the window was loaded from storage mid-meeting. */
  olderInStorage: z.boolean(),
  /** Ascending by seq, contiguous: only ever trimmed from the oldest end. */
  messages: z.array(storedChatMessageSchema),
});
export type ChatLogState = z.infer<typeof chatLogStateSchema>;

export type Attachment = ChatMessage["attachments"][number];

/** Distinct emoji per message; a cap so one client can't grow a message without bound. */
export const maxDistinctReactions = 32;
export const defaultWindowSize = 500;

export function createChatLog(options: { windowSize?: number; olderInStorage?: boolean } = {}): ChatLogState {
  return { windowSize: options.windowSize ?? defaultWindowSize, olderInStorage: options.olderInStorage ?? false, messages: [] };
}

/** The wire shape of a message: the bookkeeping fields stay in the DO. */
export function toWire(message: StoredChatMessage): ChatMessage {
  const { revision: _revision, persisted: _persisted, ...wire } = message;
  return wire;
}

export interface Outgoing {
  sender: string;
  clientMessageId: string;
  body: string;
  attachments: Attachment[];
}

export type SendResult = { ok: true; state: ChatLogState; message: StoredChatMessage; duplicate: boolean } | Refusal;

/**
 * Appends a message at `seq` (the meeting's next sequence number, which the shell spends only when
 * `duplicate` is false). A resend of the same (sender, clientMessageId) returns the stored original,
 * even if its body differs: the first version wins, so a retry can't rewrite history.
 */
export function send(state: ChatLogState, outgoing: Outgoing, seq: number, now: Date): SendResult {
  const original = findSent(state.messages, outgoing.sender, outgoing.clientMessageId);
  if (original) return { ok: true, state, message: original, duplicate: true };
  if (outgoing.body.trim() === "" && outgoing.attachments.length === 0) {
    return refuse("invalid_frame", "a message needs text or an attachment");
  }
  const newest = state.messages.at(-1);
  // A non-increasing seq is a shell bug, not a client error: fail loudly instead of corrupting order.
  if (newest && seq <= newest.seq) throw new RangeError(`chat seq ${seq} is not after ${newest.seq}`);

  const message: StoredChatMessage = {
    seq,
    clientMessageId: outgoing.clientMessageId,
    sender: outgoing.sender,
    body: outgoing.body,
    attachments: outgoing.attachments,
    reactions: {},
    sentAt: now.toISOString(),
    editedAt: null,
    deleted: false,
    revision: 0,
    persisted: false,
  };
  // Evicted as it grows, in one copy of the window (this runs for every message of a busy room); the new message
  // is unpersisted, so eviction never reaches it.
  const drop = evictable(state.messages, state.messages.length + 1 - state.windowSize);
  const messages = state.messages.slice(drop);
  messages.push(message);
  return { ok: true, state: { ...state, messages, olderInStorage: state.olderInStorage || drop > 0 }, message, duplicate: false };
}

/** A retry usually follows its original closely, so the search starts at the newest message. */
function findSent(messages: readonly StoredChatMessage[], sender: string, clientMessageId: string): StoredChatMessage | undefined {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.clientMessageId === clientMessageId && m.sender === sender) return m;
  }
  return undefined;
}

export interface Change {
  seq: number;
  /** Who asks: the author may always change their own message. */
  by: string;
  /** From protocol/permissions.ts (`canModerateChat`): may change other people's messages. */
  canModerate: boolean;
}

export type ChangeResult = { ok: true; state: ChatLogState; message: StoredChatMessage; changed: boolean } | Refusal;

export function edit(state: ChatLogState, change: Change & { body: string }, now: Date): ChangeResult {
  const found = findForChange(state, change);
  if (!found.ok) return found;
  if (found.message.deleted) return refuse("not_found", `message ${change.seq} was deleted`);
  if (change.body.trim() === "" && found.message.attachments.length === 0) {
    return refuse("invalid_frame", "an edit can't leave a message empty; delete it instead");
  }
  if (change.body === found.message.body) return { ok: true, state, message: found.message, changed: false };
  return replace(state, { ...found.message, body: change.body, editedAt: now.toISOString() });
}

/** A deleted message keeps its seq as a tombstone so clients and history pages keep their order. */
export function deleteMessage(state: ChatLogState, change: Change, now: Date): ChangeResult {
  const found = findForChange(state, change);
  if (!found.ok) return found;
  // Deleting twice is a retry, not an error.
  if (found.message.deleted) return { ok: true, state, message: found.message, changed: false };
  return replace(state, { ...found.message, body: "", attachments: [], reactions: {}, deleted: true, editedAt: now.toISOString() });
}

/** Adds (`on`) or withdraws a reaction; repeating either is a no-op with `changed: false`. */
export function react(state: ChatLogState, seq: number, identity: string, emoji: string, on: boolean): ChangeResult {
  const message = state.messages.find((m) => m.seq === seq);
  if (!message || message.deleted) return refuse("not_found", `no message ${seq} to react to`);
  const who = message.reactions[emoji] ?? [];
  if (who.includes(identity) === on) return { ok: true, state, message, changed: false };

  const reactions = { ...message.reactions };
  if (on) {
    if (!(emoji in reactions) && Object.keys(reactions).length >= maxDistinctReactions) {
      return refuse("invalid_frame", `a message takes at most ${maxDistinctReactions} different reactions`);
    }
    reactions[emoji] = [...who, identity];
  } else {
    const rest = who.filter((other) => other !== identity);
    if (rest.length === 0) delete reactions[emoji];
    else reactions[emoji] = rest;
  }
  return replace(state, { ...message, reactions });
}

export interface HistoryPage {
  /** Newest first. */
  messages: StoredChatMessage[];
  /** Older messages exist, in the window or in storage. */
  hasMore: boolean;
  /**
   * The window ran out before `limit` was reached and older messages live in storage: the shell reads
   * the rest of the page from there, before the oldest seq returned (or before `beforeSeq`).
   */
  exhausted: boolean;
}

export function history(state: ChatLogState, query: { beforeSeq?: number | undefined; limit: number }): HistoryPage {
  const older = query.beforeSeq === undefined ? state.messages : state.messages.filter((m) => m.seq < query.beforeSeq!);
  const limit = Math.max(0, Math.floor(query.limit));
  const messages = older.slice(Math.max(0, older.length - limit)).reverse();
  const moreInWindow = older.length > messages.length;
  return {
    messages,
    hasMore: moreInWindow || state.olderInStorage,
    exhausted: !moreInWindow && messages.length < limit && state.olderInStorage,
  };
}

/** The last `n` messages in chronological order, for the `welcome` snapshot. */
export function recent(state: ChatLogState, n: number): StoredChatMessage[] {
  return n <= 0 ? [] : state.messages.slice(-n);
}

/** What the shell still has to write to Postgres, in seq order (one upsert per message). */
export function unpersisted(state: ChatLogState): StoredChatMessage[] {
  return state.messages.filter((m) => !m.persisted);
}

/**
 * Records a finished flush. Each entry names the revision that was written: a message changed since
 * then stays unpersisted, so its newer version goes out with the next flush.
 */
export function markPersisted(state: ChatLogState, flushed: ReadonlyArray<{ seq: number; revision: number }>): ChatLogState {
  const written = new Map(flushed.map((f) => [f.seq, f.revision]));
  const messages = state.messages.map((m) => (!m.persisted && written.get(m.seq) === m.revision ? { ...m, persisted: true } : m));
  return evict({ ...state, messages });
}

type Found = { ok: true; message: StoredChatMessage } | Refusal;

function findForChange(state: ChatLogState, change: Change): Found {
  const message = state.messages.find((m) => m.seq === change.seq);
  // Older messages are outside the window; changing them would need a storage round trip we don't make.
  if (!message) return refuse("not_found", `no message ${change.seq} in this meeting's recent chat`);
  if (message.sender !== change.by && !change.canModerate)
    return refuse("forbidden", "only the author or a moderator may change this message");
  return { ok: true, message };
}

function replace(state: ChatLogState, updated: StoredChatMessage): ChangeResult {
  const message = { ...updated, revision: updated.revision + 1, persisted: false };
  const messages = state.messages.map((m) => (m.seq === message.seq ? message : m));
  return { ok: true, state: { ...state, messages }, message, changed: true };
}

/** Trims persisted messages from the oldest end down to the window size; stops at the first unflushed one. */
function evict(state: ChatLogState): ChatLogState {
  const drop = evictable(state.messages, state.messages.length - state.windowSize);
  if (drop === 0) return state;
  return { ...state, messages: state.messages.slice(drop), olderInStorage: true };
}

/** How many of the oldest messages may go to shed `excess`: persisted ones only, up to the first unflushed. */
function evictable(messages: readonly StoredChatMessage[], excess: number): number {
  let drop = 0;
  while (drop < excess && drop < messages.length && messages[drop]!.persisted) drop++;
  return drop;
}
