import { z } from "zod";
import { isModerator } from "../../../protocol/permissions.ts";
import { ParticipantRole } from "../../../protocol/roles.ts";
import { refuse, type Refusal } from "./room-refusal.ts";

/**
 * The meeting's admission gate: the lobby of a `waitingRoom: true` meeting, the lock, and the join tokens
 * a host has denied. Pure and immutable: every call returns a new state, which is plain JSON so the
 * Durable Object can store it as is and read it back through `waitingRoomStateSchema`.
 *
 * Bounds: the queue holds one entry per identity (a second arrival replaces the first); the denied-token
 * set keeps each token id only until that token's own expiry, because an expired token fails verification
 * before it ever reaches the room. It is never trimmed by count: evicting an unexpired denial would let
 * that token back in.
 */
const tokenSchema = z.object({ id: z.string().min(1), expiresAt: z.iso.datetime() });

const lobbyEntrySchema = z.object({
  identity: z.string().min(1),
  name: z.string().optional(),
  role: ParticipantRole,
  /** Every token this identity arrived with while waiting, newest last: a deny must cover all of them. */
  tokens: z.array(tokenSchema).min(1),
  waitingSince: z.iso.datetime(),
  /** Who minted the token it waits with (absent: the tenant's server): core/identity-holder.ts. */
  mintedBy: z.string().optional(),
});

export const waitingRoomStateSchema = z.object({
  enabled: z.boolean(),
  locked: z.boolean(),
  /** Arrival order: hosts see and admit people first come, first served. */
  queue: z.array(lobbyEntrySchema),
  /** Identities let in (directly or by a host) and not departed since; a reconnect skips the lobby. */
  admitted: z.array(z.string()),
  /** token id (jti) -> token expiry. */
  deniedTokens: z.record(z.string(), z.iso.datetime()),
});

export type WaitingRoomState = z.infer<typeof waitingRoomStateSchema>;
export type LobbyEntry = z.infer<typeof lobbyEntrySchema>;

export interface Arrival {
  identity: string;
  name?: string | undefined;
  role: ParticipantRole;
  tokenId: string;
  tokenExpiresAt: Date;
  mintedBy?: string | undefined;
}

export function createWaitingRoom(options: { enabled: boolean; locked?: boolean }): WaitingRoomState {
  return { enabled: options.enabled, locked: options.locked ?? false, queue: [], admitted: [], deniedTokens: {} };
}

/** Reads a stored state back; throws on a corrupt value, which the shell logs as internal_error. */
export function parseWaitingRoomState(stored: unknown): WaitingRoomState {
  return waitingRoomStateSchema.parse(stored);
}

export type ArrivalResult = { ok: true; state: WaitingRoomState; outcome: "admitted" | "queued" } | Refusal;

export function arrive(state: WaitingRoomState, arrival: Arrival, now: Date): ArrivalResult {
  const current = pruneDeniedTokens(state, now);
  if (isDeniedToken(current, arrival.tokenId)) return refuse("forbidden", "a host denied this invitation");

  const withoutQueued = current.queue.filter((entry) => entry.identity !== arrival.identity);
  // Moderators skip the lobby and may enter a locked meeting.
  if (isModerator(arrival.role)) {
    return { ok: true, state: admitInto({ ...current, queue: withoutQueued }, arrival.identity), outcome: "admitted" };
  }
  // Someone already let in is reconnecting, not arriving: a dropped connection must not send them back to the lobby.
  if (current.admitted.includes(arrival.identity)) return { ok: true, state: current, outcome: "admitted" };

  const queued = current.queue.find((entry) => entry.identity === arrival.identity);
  if (queued) {
    // A refresh of the lobby page keeps its place; the newest connection's details win.
    const replacement: LobbyEntry = {
      ...entryFor(arrival, queued.waitingSince),
      tokens: [...queued.tokens.filter((token) => token.id !== arrival.tokenId), tokenOf(arrival)],
    };
    const queue = current.queue.map((entry) => (entry.identity === arrival.identity ? replacement : entry));
    return { ok: true, state: { ...current, queue }, outcome: "queued" };
  }

  if (current.locked) return refuse("meeting_locked", "the meeting is locked");
  if (!current.enabled) return { ok: true, state: admitInto(current, arrival.identity), outcome: "admitted" };
  return { ok: true, state: { ...current, queue: [...current.queue, entryFor(arrival, now.toISOString())] }, outcome: "queued" };
}

export type LobbyDecision = { ok: true; state: WaitingRoomState; entry: LobbyEntry | null } | Refusal;

/**
 * Lets a waiting identity in. Admitting someone already admitted is a no-op (`entry: null`), so two hosts
 * clicking at once both succeed. Works while locked: the lock stops new arrivals, not a host's choice.
 */
export function admit(state: WaitingRoomState, identity: string): LobbyDecision {
  const entry = state.queue.find((candidate) => candidate.identity === identity);
  if (!entry) {
    if (state.admitted.includes(identity)) return { ok: true, state, entry: null };
    return refuse("not_found", `${identity} is not waiting`);
  }
  // Tokens name their identity, so this only bites a token replayed under two identities: the denial wins.
  if (entry.tokens.some((token) => isDeniedToken(state, token.id))) return refuse("forbidden", "a host denied this invitation");
  const queue = state.queue.filter((candidate) => candidate !== entry);
  return { ok: true, state: admitInto({ ...state, queue }, identity), entry };
}

/** Turns a waiting identity away and remembers every token it waited with, so none of them gets back in. */
export function deny(state: WaitingRoomState, identity: string): LobbyDecision {
  const entry = state.queue.find((candidate) => candidate.identity === identity);
  if (!entry) return refuse("not_found", `${identity} is not waiting`);
  const deniedTokens = { ...state.deniedTokens };
  for (const token of entry.tokens) deniedTokens[token.id] = token.expiresAt;
  return { ok: true, state: { ...state, queue: state.queue.filter((candidate) => candidate !== entry), deniedTokens }, entry };
}

/**
 * Forgets an identity that left the lobby or the meeting (left, removed, timed out), so its next arrival
 * is a new one. The shell calls it on a deliberate departure, not on every dropped socket.
 */
export function depart(state: WaitingRoomState, identity: string): WaitingRoomState {
  return {
    ...state,
    queue: state.queue.filter((entry) => entry.identity !== identity),
    admitted: state.admitted.filter((admitted) => admitted !== identity),
  };
}

export function setLocked(state: WaitingRoomState, locked: boolean): WaitingRoomState {
  return state.locked === locked ? state : { ...state, locked };
}

export function isDeniedToken(state: WaitingRoomState, tokenId: string): boolean {
  return Object.hasOwn(state.deniedTokens, tokenId);
}

/** Drops denials whose token has expired; `arrive` does it too, the shell may also call it from `alarm()`. */
export function pruneDeniedTokens(state: WaitingRoomState, now: Date): WaitingRoomState {
  const live = Object.entries(state.deniedTokens).filter(([, expiresAt]) => Date.parse(expiresAt) > now.getTime());
  if (live.length === Object.keys(state.deniedTokens).length) return state;
  return { ...state, deniedTokens: Object.fromEntries(live) };
}

/** The lobby as hosts see it (the `lobby` of `welcome` and `lobby_updated`), in arrival order. */
export function lobby(state: WaitingRoomState): Array<{ identity: string; name?: string; waitingSince: string }> {
  return state.queue.map(({ identity, name, waitingSince }) =>
    name === undefined ? { identity, waitingSince } : { identity, name, waitingSince },
  );
}

function admitInto(state: WaitingRoomState, identity: string): WaitingRoomState {
  return state.admitted.includes(identity) ? state : { ...state, admitted: [...state.admitted, identity] };
}

function tokenOf(arrival: Arrival): { id: string; expiresAt: string } {
  return { id: arrival.tokenId, expiresAt: arrival.tokenExpiresAt.toISOString() };
}

function entryFor(arrival: Arrival, waitingSince: string): LobbyEntry {
  const entry: LobbyEntry = { identity: arrival.identity, role: arrival.role, tokens: [tokenOf(arrival)], waitingSince };
  if (arrival.name !== undefined) entry.name = arrival.name;
  if (arrival.mintedBy !== undefined) entry.mintedBy = arrival.mintedBy;
  return entry;
}
