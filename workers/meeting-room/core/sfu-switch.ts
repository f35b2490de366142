import { nextMediaCheckAt, type MediaMode, type SfuGrant, type SfuModeration } from "./media-mode.ts";
import { observeProbe, observeTrouble, probeAsked, watchNode, type NodeWatch } from "../../../media-fleet/node-failure-detector.ts";
import { billP2pForAll, closeSfuSessions, p2pSince } from "./room-usage.ts";
import type { RoomTransition } from "./room-transition.ts";

/**
 * Peer to peer → SFU. A meeting starts with a mesh of peer connections; once `sfuThreshold` people are in it,
 * the room asks the shell to place it on the media fleet and, when placed, hands everyone credentials for the
 * SFU (`sfu_join`). A node that fails moves the meeting: placed again elsewhere, everyone gets new
 * credentials, and chat and roster never move (they live here). Pure: placement, token minting and probing
 * are effects; whether the node failed is node-failure-detector.ts's rule, over state kept in the media mode.
 */
type OnSfu = Extract<MediaMode, { kind: "sfu" }>;

const watchOf = (mode: OnSfu, now: number): NodeWatch => mode.watch ?? watchNode(now);

function setWatch(t: RoomTransition, mode: OnSfu, watch: NodeWatch): void {
  t.state = { ...t.state, mediaMode: { ...mode, watch } };
}

function probe(t: RoomTransition, mode: OnSfu, watch: NodeWatch): void {
  setWatch(t, mode, probeAsked(watch, t.now));
  t.effect({ kind: "probe_media", nodeId: mode.nodeId });
}

/** On the room's alarm: a due check probes the node (every 5 s; 1 s after a failed probe). */
export function checkMediaOnTick(t: RoomTransition): void {
  const mode = t.state.mediaMode;
  const dueAt = nextMediaCheckAt(mode);
  if (mode.kind !== "sfu" || dueAt === null || t.now < dueAt) return;
  probe(t, mode, watchOf(mode, t.now));
}

/** The shell's probe of the node answered. */
export function onProbed(t: RoomTransition, nodeId: string, healthy: boolean): void {
  const mode = t.state.mediaMode;
  // An answer about a node the meeting has left (or is leaving) is stale.
  if (mode.kind !== "sfu" || mode.nodeId !== nodeId) return;
  const seen = observeProbe(watchOf(mode, t.now), healthy, t.now);
  if (seen.failed) return place(t, nodeId, seen.watch);
  setWatch(t, mode, seen.watch);
}

/**
 * A participant's SFU connection is failing. It may be that client's network: the report alone moves nobody,
 * but it has the node probed now, and it turns one failed probe into a failure.
 */
export function onMediaTrouble(t: RoomTransition, identity: string): void {
  const mode = t.state.mediaMode;
  if (mode.kind !== "sfu") return;
  const seen = observeTrouble(watchOf(mode, t.now), identity, t.now);
  if (seen.failed) return place(t, mode.nodeId, seen.watch);
  if (seen.probe) probe(t, mode, seen.watch);
  else setWatch(t, mode, seen.watch);
}

const memberCount = (t: RoomTransition) => Object.keys(t.state.members).length;

/**
 * After someone was seated: the threshold may have been reached, or the meeting already runs on the SFU.
 * `mayGrant` false holds their SFU credentials back (a recording must first confirm it will not capture them).
 */
export function afterJoin(t: RoomTransition, identity: string, mayGrant = true): void {
  const mode = t.state.mediaMode;
  if (mode.kind === "sfu") {
    if (mayGrant) t.effect({ kind: "grant_sfu", nodeId: mode.nodeId, identities: [identity] });
    return;
  }
  if (mode.kind === "p2p" && memberCount(t) >= t.state.settings.sfuThreshold) place(t);
}

/** Moves a peer-to-peer meeting to the SFU whatever its size (a recording needs media to pass a server). */
export function moveToSfu(t: RoomTransition): void {
  if (t.state.mediaMode.kind === "p2p" && memberCount(t)) place(t);
}

function place(t: RoomTransition, excludeNodeId?: string, failedWatch?: NodeWatch): void {
  // Media stays peer to peer (and billed so) until the placement lands.
  const since = p2pSince(t.state.mediaMode);
  // A failed node stopped serving at the first trouble a client reported (the crash), not when the room concluded.
  const failedAt = failedWatch ? Math.min(t.now, ...Object.values(failedWatch.troubleReports)) : undefined;
  t.state = {
    ...t.state,
    mediaMode: {
      kind: "placing",
      excludeNodeId,
      ...(since !== null ? { p2pSince: since } : {}),
      ...(failedAt !== undefined ? { failedAt } : {}),
    },
  };
  t.effect({
    kind: "place_media",
    hint: t.state.locationHint,
    expectedParticipants: memberCount(t),
    ...(excludeNodeId ? { excludeNodeId } : {}),
  });
}

export function onPlaced(t: RoomTransition, nodeId: string, url: string): void {
  // A placement that finished after the meeting ended or emptied is not used.
  if (t.state.mediaMode.kind !== "placing" || !memberCount(t)) return;
  const moved = t.state.mediaMode.excludeNodeId !== undefined;
  if (!moved) billP2pForAll(t);
  // A crashed node never reports its participants leaving: the room bills their sessions on it up to when it failed
  // (under the key the webhook would have used), and they are off the SFU until the new node says otherwise.
  if (moved) closeSfuSessions(t);
  t.state = { ...t.state, mediaMode: { kind: "sfu", nodeId, url, watch: watchNode(t.now) } };
  if (!moved) t.emit({ type: "media_mode", mode: "sfu" }, { kind: "all" });
  else if (Object.keys(t.state.media.onSfu).length || t.state.media.sfuActive) {
    t.state = { ...t.state, media: { ...t.state.media, sfuActive: false, onSfu: {}, sessions: {} } };
    t.emit({ type: "media_state", sfuActive: false, onSfu: {} }, { kind: "all" });
  }
  t.effect({ kind: "grant_sfu", nodeId, identities: Object.keys(t.state.members) });
}

/** No node could take the meeting: stay peer to peer; the next join tries again. */
export function onPlacementFailed(t: RoomTransition, reason: string): void {
  if (t.state.mediaMode.kind !== "placing") return;
  const { excludeNodeId, p2pSince: since } = t.state.mediaMode;
  const wasOnSfu = excludeNodeId !== undefined;
  // Off a dead node with nowhere to go: its sessions end when it failed and peer-to-peer time starts now; a first
  // placement that failed never left peer to peer.
  if (wasOnSfu) closeSfuSessions(t);
  t.state = { ...t.state, mediaMode: wasOnSfu ? { kind: "p2p", since: t.now } : since ? { kind: "p2p", since } : { kind: "p2p" } };
  if (wasOnSfu) t.emit({ type: "media_mode", mode: "p2p", reason }, { kind: "all" });
}

export function onGrants(t: RoomTransition, nodeId: string, grants: readonly SfuGrant[]): void {
  const mode = t.state.mediaMode;
  // Credentials for a node the meeting has since left are stale.
  if (mode.kind !== "sfu" || mode.nodeId !== nodeId) return;
  for (const grant of grants) {
    if (t.state.members[grant.identity])
      t.to(grant.identity, { type: "sfu_join", url: grant.url, token: grant.token, expiresAt: grant.expiresAt });
  }
}

/** Host controls that change media are carried out on the SFU too, when the meeting is there. */
export function moderateOnSfu(t: RoomTransition, action: SfuModeration, by: string, ref?: string): void {
  const mode = t.state.mediaMode;
  if (mode.kind === "sfu") t.effect({ kind: "sfu_moderate", nodeId: mode.nodeId, action, by, ...(ref ? { ref } : {}) });
}
