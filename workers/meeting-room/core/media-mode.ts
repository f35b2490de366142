import type { LocationHint } from "../../../protocol/location-hint.ts";
import { nextProbeAt, type NodeWatch } from "../../../media-fleet/node-failure-detector.ts";

/** The meeting's media: peer to peer, being placed on the fleet, or on an SFU node; and what the shell does for it. */
export type MediaMode =
  /** `since`: when media last became peer to peer (absent: since each member joined); bills p2p time (room-usage.ts). */
  | { kind: "p2p"; since?: number | undefined }
  /** Leaving a failed node: `failedAt` is the first sign it stopped serving (its sessions there are billed to it). */
  | { kind: "placing"; excludeNodeId?: string | undefined; p2pSince?: number | undefined; failedAt?: number | undefined }
  /** `watch`: the node's probes and trouble reports (node-failure-detector.ts); absent in states stored before it. */
  | { kind: "sfu"; nodeId: string; url: string; watch?: NodeWatch | undefined };

/** When the room should next check its SFU node (at once for a state that has no watch yet); null when it is not on one. */
export function nextMediaCheckAt(mode: MediaMode): number | null {
  if (mode.kind !== "sfu") return null;
  return mode.watch ? nextProbeAt(mode.watch) : 0;
}

export interface SfuGrant {
  identity: string;
  url: string;
  token: string;
  expiresAt: string;
}

export type SfuEffect =
  | { kind: "place_media"; hint: LocationHint | null; expectedParticipants: number; excludeNodeId?: string | undefined }
  | { kind: "grant_sfu"; nodeId: string; identities: string[] }
  | { kind: "probe_media"; nodeId: string }
  | { kind: "sfu_moderate"; nodeId: string; action: SfuModeration; by: string; ref?: string | undefined };

export type SfuModeration =
  | { kind: "mute"; identity: string; track: "audio" | "video" }
  | { kind: "remove"; identity: string }
  | { kind: "close_room" };
