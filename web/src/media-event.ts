/**
 * What the media path (P2P mesh or SFU) tells the session about its connections, for the join's outcome and the
 * drops the page reports (`quality_event`). A connection that never came up failed; one that was up and went
 * down dropped.
 */
export type MediaEvent =
  /** A peer connection, or the connection to the SFU, is up. */
  | { kind: "connected" }
  /** A remote audio or video track received its first packets. */
  | { kind: "remote_media" }
  /** The first attempt to connect ended without ever connecting. */
  | { kind: "attempt_failed"; outcome: "failed_ice" | "failed_sfu" }
  /** A connection that was up was lost (ICE may still recover it; LiveKit may still reconnect). */
  | { kind: "dropped"; cause: "ice_disconnected" | "ice_failed" | "sfu_disconnected" };

/** Calls `flowing` once the remote track carries media: a receiver's track starts muted until packets arrive. */
export function whenFlowing(track: MediaStreamTrack, flowing: () => void): void {
  if (!track.muted) flowing();
  else track.addEventListener("unmute", flowing, { once: true });
}
