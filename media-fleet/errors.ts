/**
 * Stable codes of the media fleet: why a media-server call failed (`MediaFleetError`) and why placement found
 * no node (`Placement` with `ok: false`). The meeting room switches on them (a vanished participant is not a
 * failure; a refused moderation is `sfu_action_failed` to the host; a failed placement keeps the meeting peer to peer).
 */

export const mediaFleetErrorCodes = [
  "room_not_found",
  "participant_not_found",
  "track_not_found",
  "invalid_request", // the server refused the arguments
  "unauthorized", // our API key or secret was refused
  "node_unreachable", // connection refused, DNS, TLS or timeout: the node may be down
  "sfu_error", // the node answered with a server error
  // The track recorders (media-fleet/recorder-client/):
  "recording_not_found", // the recorder has no capture of that recording (or the recorder id is not in the pool)
  "capture_stopped", // pause, resume or exclusions after the capture stopped
  "recorder_full", // no recorder of the pool has room for another capture
  "recorder_error", // a recorder answered with a server error or something unreadable
] as const;
export type MediaFleetErrorCode = (typeof mediaFleetErrorCodes)[number];

/** The codes a "does not exist" answer can mean, told apart by what was asked for. */
export const notFoundCodes = [
  "room_not_found",
  "participant_not_found",
  "track_not_found",
] as const satisfies readonly MediaFleetErrorCode[];
export type NotFoundCode = (typeof notFoundCodes)[number];

/** Every failure of a `MediaFleet` call; `message` is for logs (tokens redacted), `code` is for decisions. */
export class MediaFleetError extends Error {
  override readonly name = "MediaFleetError";
  constructor(
    readonly code: MediaFleetErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Why `selectNode` placed a meeting nowhere. */
export const placementRefusalCodes = [
  "no_healthy_node", // every node is unhealthy, draining or has stale stats
  "fleet_full", // healthy nodes exist, but none has room for the meeting
] as const;
export type PlacementRefusalCode = (typeof placementRefusalCodes)[number];
