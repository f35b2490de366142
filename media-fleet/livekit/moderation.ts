import type { ParticipantIdentity } from "../../protocol/ids.ts";
import { MediaFleetError, type MediaFleetErrorCode } from "../errors.ts";
import type { MediaParticipant, MediaRoomName, MediaTrack, MuteAllOptions, TrackKind } from "../media-fleet.ts";
import { livekitCall } from "./livekit-errors.ts";
import { listParticipants, roomExists, toMediaParticipant, toMediaTrack, type RoomServiceTransport } from "./rooms.ts";

/**
 * Server-side moderation on one LiveKit node. LiveKit is lenient where we must not be: muting an unknown
 * track "succeeds" with no track, and muting someone who is not (or no longer) in the room fails with a
 * 503. So every action first looks the participant up, and a failure is re-checked against the room and
 * the participant before it is reported, so callers get `room_not_found` / `participant_not_found` /
 * `track_not_found` rather than a silent success or a misleading `sfu_error`.
 */

/** Parallel mutes in `muteAll`: enough for a large room, not a burst of hundreds of requests at one node. */
const muteAllConcurrency = 8;

/** `participant_not_found` from LiveKit also covers "no such room"; tell the two apart. */
async function whoIsMissing(rooms: RoomServiceTransport, room: MediaRoomName): Promise<MediaFleetErrorCode> {
  return (await roomExists(rooms, room)) ? "participant_not_found" : "room_not_found";
}

async function getParticipant(rooms: RoomServiceTransport, room: MediaRoomName, identity: ParticipantIdentity): Promise<MediaParticipant> {
  try {
    return toMediaParticipant(await livekitCall("get participant", () => rooms.getParticipant(room, identity), "participant_not_found"));
  } catch (error) {
    if (error instanceof MediaFleetError && error.code === "participant_not_found") {
      throw new MediaFleetError(await whoIsMissing(rooms, room), `livekit get participant: ${identity} is not in ${room}`);
    }
    throw error;
  }
}

/** Mutes one track already known to be published; explains a failure by what has gone since. */
async function muteKnownTrack(
  rooms: RoomServiceTransport,
  room: MediaRoomName,
  identity: ParticipantIdentity,
  track: MediaTrack,
): Promise<MediaTrack> {
  if (track.muted) return track;
  try {
    const muted = await livekitCall("mute track", () => rooms.mutePublishedTrack(room, identity, track.sid, true), "track_not_found");
    const result = muted ? toMediaTrack(muted) : undefined;
    if (!result) throw new MediaFleetError("track_not_found", `livekit mute track: ${track.sid} is no longer published`);
    return result;
  } catch (error) {
    // getParticipant throws room_not_found / participant_not_found when that is what changed.
    const now = await getParticipant(rooms, room, identity);
    if (!now.tracks.some((candidate) => candidate.sid === track.sid)) {
      throw new MediaFleetError("track_not_found", `livekit mute track: ${track.sid} is no longer published by ${identity}`);
    }
    throw error;
  }
}

export async function muteTrack(
  rooms: RoomServiceTransport,
  room: MediaRoomName,
  identity: ParticipantIdentity,
  trackSid: string,
): Promise<MediaTrack> {
  const participant = await getParticipant(rooms, room, identity);
  const track = participant.tracks.find((candidate) => candidate.sid === trackSid);
  if (!track) throw new MediaFleetError("track_not_found", `livekit mute track: ${identity} publishes no track ${trackSid}`);
  return muteKnownTrack(rooms, room, identity, track);
}

export async function muteParticipant(
  rooms: RoomServiceTransport,
  room: MediaRoomName,
  identity: ParticipantIdentity,
  kind: TrackKind,
): Promise<MediaTrack[]> {
  const participant = await getParticipant(rooms, room, identity);
  const muted: MediaTrack[] = [];
  for (const track of participant.tracks) {
    if (track.kind === kind && !track.muted) muted.push(await muteKnownTrack(rooms, room, identity, track));
  }
  return muted;
}

/** Gone between the listing and the mute: the goal (nothing of theirs is audible) holds anyway. */
const leftMeanwhile = (error: unknown) =>
  error instanceof MediaFleetError && (error.code === "participant_not_found" || error.code === "track_not_found");

export async function muteAll(
  rooms: RoomServiceTransport,
  room: MediaRoomName,
  options: MuteAllOptions,
): Promise<{ identity: ParticipantIdentity; track: MediaTrack }[]> {
  const except = new Set(options.except ?? []);
  const pending = (await listParticipants(rooms, room)).flatMap((participant) =>
    except.has(participant.identity)
      ? []
      : participant.tracks
          .filter((track) => track.kind === options.kind && !track.muted)
          .map((track) => ({ identity: participant.identity, track })),
  );
  const muted: { identity: ParticipantIdentity; track: MediaTrack }[] = [];
  const failures: unknown[] = [];
  const worker = async () => {
    for (let next = pending.shift(); next; next = pending.shift()) {
      try {
        muted.push({ identity: next.identity, track: await muteKnownTrack(rooms, room, next.identity, next.track) });
      } catch (error) {
        if (!leftMeanwhile(error)) failures.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: muteAllConcurrency }, worker));
  if (failures.length > 0) throw failures[0];
  return muted;
}

export async function removeParticipant(rooms: RoomServiceTransport, room: MediaRoomName, identity: ParticipantIdentity): Promise<void> {
  try {
    await livekitCall("remove participant", () => rooms.removeParticipant(room, identity), "participant_not_found");
  } catch (error) {
    if (error instanceof MediaFleetError && error.code === "participant_not_found") {
      throw new MediaFleetError(await whoIsMissing(rooms, room), `livekit remove participant: ${identity} is not in ${room}`);
    }
    throw error;
  }
}
