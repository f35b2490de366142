/**
 * Stable codes of `error` frames on the meeting-room WebSocket. Clients switch on `code`; `ref` echoes the
 * offending frame's `id` when it had one.
 */
export const roomErrorCodes = [
  "malformed_frame", // not JSON, or JSON that is not an object
  "unknown_frame_type",
  "invalid_frame", // schema violation
  "frame_too_large",
  "rate_limited",
  "forbidden", // sender's role does not allow the action
  "not_found", // target participant or message does not exist
  "meeting_locked",
  "meeting_full",
  "in_waiting_room", // action needs admission first
  "attachment_rejected",
  "recording_conflict", // the recording is not in a state that allows this (already recording, none running)
  "sfu_action_failed", // a host control succeeded in the room but the media server refused or could not be reached
  "temporarily_unavailable", // a backing store (chat archive, object storage) could not be reached; retry
  "internal_error",
] as const;

export type RoomErrorCode = (typeof roomErrorCodes)[number];
