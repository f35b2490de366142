import type { RoomState } from "./room-state.ts";

/**
 * The region a meeting's analytics are filed under: the fleet region of its SFU node, or, peer to peer (no media
 * server), `p2p-<continent>` of where its first participant joined from.
 */
export function analyticsRegion(state: RoomState, regionOfNode: (nodeId: string) => string | undefined): string {
  const mode = state.mediaMode;
  if (mode.kind === "sfu") return regionOfNode(mode.nodeId) ?? "unknown";
  return `p2p-${state.locationHint?.continent ?? "unknown"}`;
}
