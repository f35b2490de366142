import { MediaRoomName, type ParticipantIdentity } from "../protocol/ids.ts";
import type { MediaPolicy, MediaRole } from "./media-grants.ts";

/**
 * The media server fleet as the meeting room sees it: rooms, access tokens and moderation. Implemented for
 * LiveKit by `livekit/livekit-node-client.ts`; every failure is a `MediaFleetError` with a stable code.
 */

export type { MediaRoomName };
export const mediaRoomName = (name: string): MediaRoomName => MediaRoomName.parse(name);

export interface MediaRoomSettings {
  /** Seconds an empty room stays open before the server closes it. */
  emptyTimeoutSeconds: number;
  maxParticipants: number;
  /** Opaque to the media server; clients in the room see it. */
  metadata: string;
}

export interface MediaRoom extends MediaRoomSettings {
  name: MediaRoomName;
  sid: string;
  participantCount: number;
  createdAt: Date;
}

export type TrackKind = "audio" | "video";
export type TrackSourceName = "camera" | "microphone" | "screen_share" | "screen_share_audio" | "unknown";

export interface MediaTrack {
  sid: string;
  kind: TrackKind;
  source: TrackSourceName;
  muted: boolean;
}

export interface MediaParticipant {
  identity: ParticipantIdentity;
  sid: string;
  name: string;
  state: "joining" | "joined" | "active" | "disconnected";
  /** Hidden participants (recorders) are invisible to the others in the room. */
  hidden: boolean;
  recorder: boolean;
  tracks: MediaTrack[];
}

export interface MintAccessToken {
  room: MediaRoomName;
  identity: ParticipantIdentity;
  name?: string;
  role: MediaRole;
  policy: MediaPolicy;
  /** Clamped by media-grants.ts; default 10 minutes. */
  ttlSeconds?: number;
}

export interface MediaAccessToken {
  /** The WebSocket URL of the node the client must connect to. */
  url: string;
  token: string;
  expiresAt: Date;
}

export interface MuteAllOptions {
  kind: TrackKind;
  /** Left untouched, e.g. the host who asked. */
  except?: readonly ParticipantIdentity[];
}

export interface MediaFleet {
  /** Creates the room, or returns it unchanged (settings included) when it already exists. */
  createRoom(room: MediaRoomName, settings: MediaRoomSettings): Promise<MediaRoom>;
  updateRoomMetadata(room: MediaRoomName, metadata: string): Promise<MediaRoom>;
  /** Everyone in the room, hidden participants included. `room_not_found` when there is no such room. */
  listParticipants(room: MediaRoomName): Promise<MediaParticipant[]>;
  /** Disconnects everyone and deletes the room; `room_not_found` when it is already gone. */
  closeRoom(room: MediaRoomName): Promise<void>;
  mintAccessToken(input: MintAccessToken): Promise<MediaAccessToken>;
  /** Rooms and participants the node (or project) carries now, for placement. */
  load(): Promise<{ rooms: number; participants: number }>;
  /**
   * Mutes one published track on the server; the publisher is told and subscribers stop receiving it. There is
   * no remote unmute: unmuting is the participant's own choice.
   */
  muteTrack(room: MediaRoomName, identity: ParticipantIdentity, trackSid: string): Promise<MediaTrack>;
  /** Mutes every unmuted track of a kind the participant publishes; returns the tracks it muted. */
  muteParticipant(room: MediaRoomName, identity: ParticipantIdentity, kind: TrackKind): Promise<MediaTrack[]>;
  /**
   * Mutes every unmuted track of a kind in the room, except `except`. Someone who leaves (or unpublishes) while
   * this runs is skipped, not an error; any other failure is thrown after the rest were attempted.
   */
  muteAll(room: MediaRoomName, options: MuteAllOptions): Promise<{ identity: ParticipantIdentity; track: MediaTrack }[]>;
  removeParticipant(room: MediaRoomName, identity: ParticipantIdentity): Promise<void>;
}
