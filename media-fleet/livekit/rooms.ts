import {
  ParticipantInfo_State,
  type ParticipantInfo,
  type Room,
  type RoomServiceClient,
  type TrackInfo,
  TrackSource,
  TrackType,
} from "livekit-server-sdk";
import { ParticipantIdentity } from "../../protocol/ids.ts";
import { MediaFleetError } from "../errors.ts";
import {
  mediaRoomName,
  type MediaParticipant,
  type MediaRoom,
  type MediaRoomName,
  type MediaRoomSettings,
  type MediaTrack,
  type TrackSourceName,
} from "../media-fleet.ts";
import { livekitCall } from "./livekit-errors.ts";

/** Room lifecycle on one LiveKit node, and the mapping of LiveKit's room and participant records to ours. */

/** The part of LiveKit's room service this adapter uses: a real `RoomServiceClient`, or a stand-in in tests. */
export type RoomServiceTransport = Pick<
  RoomServiceClient,
  | "createRoom"
  | "listRooms"
  | "deleteRoom"
  | "updateRoomMetadata"
  | "listParticipants"
  | "getParticipant"
  | "removeParticipant"
  | "mutePublishedTrack"
>;

const sourceNames: Record<TrackSource, TrackSourceName> = {
  [TrackSource.UNKNOWN]: "unknown",
  [TrackSource.CAMERA]: "camera",
  [TrackSource.MICROPHONE]: "microphone",
  [TrackSource.SCREEN_SHARE]: "screen_share",
  [TrackSource.SCREEN_SHARE_AUDIO]: "screen_share_audio",
};

const participantStates: Record<ParticipantInfo_State, MediaParticipant["state"]> = {
  [ParticipantInfo_State.JOINING]: "joining",
  [ParticipantInfo_State.JOINED]: "joined",
  [ParticipantInfo_State.ACTIVE]: "active",
  [ParticipantInfo_State.DISCONNECTED]: "disconnected",
};

export function toMediaRoom(room: Room): MediaRoom {
  return {
    name: mediaRoomName(room.name),
    sid: room.sid,
    emptyTimeoutSeconds: room.emptyTimeout,
    maxParticipants: room.maxParticipants,
    metadata: room.metadata,
    participantCount: room.numParticipants,
    createdAt: new Date(Number(room.creationTimeMs) || Number(room.creationTime) * 1000),
  };
}

/** Data tracks are not media: callers only ever see audio and video. */
export function toMediaTrack(track: TrackInfo): MediaTrack | undefined {
  if (track.type !== TrackType.AUDIO && track.type !== TrackType.VIDEO) return undefined;
  return {
    sid: track.sid,
    kind: track.type === TrackType.AUDIO ? "audio" : "video",
    source: sourceNames[track.source] ?? "unknown",
    muted: track.muted,
  };
}

export function toMediaParticipant(participant: ParticipantInfo): MediaParticipant {
  return {
    identity: ParticipantIdentity.parse(participant.identity),
    sid: participant.sid,
    name: participant.name,
    state: participantStates[participant.state] ?? "joining",
    hidden: participant.permission?.hidden ?? false,
    recorder: participant.permission?.recorder ?? false,
    tracks: participant.tracks.flatMap((track) => toMediaTrack(track) ?? []),
  };
}

export async function roomExists(rooms: RoomServiceTransport, room: MediaRoomName): Promise<boolean> {
  const found = await livekitCall("list rooms", () => rooms.listRooms([room]));
  return found.some((candidate) => candidate.name === room);
}

export async function createRoom(rooms: RoomServiceTransport, room: MediaRoomName, settings: MediaRoomSettings): Promise<MediaRoom> {
  const created = await livekitCall("create room", () =>
    rooms.createRoom({
      name: room,
      emptyTimeout: settings.emptyTimeoutSeconds,
      maxParticipants: settings.maxParticipants,
      metadata: settings.metadata,
    }),
  );
  return toMediaRoom(created);
}

export async function updateRoomMetadata(rooms: RoomServiceTransport, room: MediaRoomName, metadata: string): Promise<MediaRoom> {
  return toMediaRoom(await livekitCall("update room metadata", () => rooms.updateRoomMetadata(room, metadata), "room_not_found"));
}

export async function listParticipants(rooms: RoomServiceTransport, room: MediaRoomName): Promise<MediaParticipant[]> {
  const participants = await livekitCall("list participants", () => rooms.listParticipants(room));
  // LiveKit answers an unknown room with an empty list; only an empty answer needs the extra look.
  if (participants.length === 0 && !(await roomExists(rooms, room))) {
    throw new MediaFleetError("room_not_found", `livekit list participants: room_not_found`);
  }
  return participants.map(toMediaParticipant);
}

/**
 * Rooms and participants the node reports: the load placement weighs. A node in a self-hosted cluster answers
 * for the whole cluster, a LiveKit Cloud project for itself. CPU is not exposed by the room service, and the
 * participant counts lag joins by a few seconds (LiveKit refreshes them periodically).
 */
export async function roomLoad(rooms: RoomServiceTransport): Promise<{ rooms: number; participants: number }> {
  const all = await livekitCall("list rooms", () => rooms.listRooms());
  return { rooms: all.length, participants: all.reduce((sum, room) => sum + room.numParticipants, 0) };
}

export async function closeRoom(rooms: RoomServiceTransport, room: MediaRoomName): Promise<void> {
  await livekitCall("delete room", () => rooms.deleteRoom(room), "room_not_found");
}
