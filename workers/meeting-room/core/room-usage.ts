import { sfuSessionUsage } from "../../../media-fleet/webhook-routing.ts";
import type { MediaMode } from "./media-mode.ts";
import type { RoomTransition } from "./room-transition.ts";

/**
 * The usage the room bills itself: peer-to-peer participant time (from its own join and leave facts, while the
 * meeting's media is peer to peer), and SFU sessions whose node can no longer report their end (the member left
 * the meeting, the meeting ended, the node died). Each record is keyed by the fact it closes, so a retried outbox
 * write, a redelivered webhook for the same SFU session or a replayed event bills nothing twice. Pure.
 */

/** Since when the meeting's media has been peer to peer (0: since each member joined); null while it is not. */
export function p2pSince(mode: MediaMode): number | null {
  if (mode.kind === "p2p") return mode.since ?? 0;
  if (mode.kind === "placing") return mode.p2pSince ?? null;
  return null;
}

/** Bills a member's peer-to-peer stretch up to now, if the meeting is peer to peer. */
export function billP2p(t: RoomTransition, identity: string, joinedAt: string): void {
  const since = p2pSince(t.state.mediaMode);
  if (since === null) return;
  const start = Math.max(Date.parse(joinedAt), since);
  if (!Number.isFinite(start) || t.now < start) return;
  t.effect({
    kind: "record_usage",
    usage: {
      kind: "p2p_participant_seconds",
      quantity: t.now - start,
      sourceId: `room:p2p:${t.state.meetingId}:${identity}:${start}`,
      periodStart: new Date(start).toISOString(),
      periodEnd: t.nowIso,
    },
  });
}

/** Every member's peer-to-peer stretch ends now (the meeting moves to the SFU, or ends). */
export function billP2pForAll(t: RoomTransition): void {
  for (const member of Object.values(t.state.members)) billP2p(t, member.identity, member.joinedAt);
}

/**
 * Closes the SFU sessions the room holds (all, or one member's) and forgets them: now, or, while the meeting is
 * leaving a failed node, when that node was first seen failing (nobody had media there after that).
 */
export function closeSfuSessions(t: RoomTransition, identity?: string): void {
  const mode = t.state.mediaMode;
  const at = mode.kind === "placing" && mode.failedAt !== undefined ? mode.failedAt : t.now;
  const sessions = t.state.media.sessions ?? {};
  const closing = identity === undefined ? Object.keys(sessions) : identity in sessions ? [identity] : [];
  if (!closing.length) return;
  const rest = { ...sessions };
  for (const who of closing) {
    t.effect({ kind: "record_usage", usage: sfuSessionUsage(rest[who]!, at) });
    delete rest[who];
  }
  t.state = { ...t.state, media: { ...t.state.media, sessions: rest } };
}
