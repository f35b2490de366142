import type { LocationHint } from "../../../protocol/location-hint.ts";

/** The meeting's media: peer to peer, being placed on the fleet, or on an SFU node; and what the shell does for it. */
export type MediaMode =
  | { kind: "p2p" }
  | { kind: "placing"; excludeNodeId?: string | undefined }
  | { kind: "sfu"; nodeId: string; url: string; checkedAt?: number | undefined };

/** How often a meeting on the SFU has its node checked, whether or not a client reported trouble. */
export const mediaCheckIntervalMs = 5_000;

/** When the room should next check its SFU node; null when it is not on one. */
export function nextMediaCheckAt(mode: MediaMode): number | null {
  return mode.kind === "sfu" && mode.checkedAt !== undefined ? mode.checkedAt + mediaCheckIntervalMs : null;
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
