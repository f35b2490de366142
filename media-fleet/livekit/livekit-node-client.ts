import { RoomServiceClient } from "livekit-server-sdk";
import type { ParticipantIdentity } from "../../protocol/ids.ts";
import type { MediaFleet, MediaRoomName, MediaRoomSettings, MintAccessToken, MuteAllOptions, TrackKind } from "../media-fleet.ts";
import { mintAccessToken } from "./access-tokens.ts";
import * as moderation from "./moderation.ts";
import * as rooms from "./rooms.ts";
import type { RoomServiceTransport } from "./rooms.ts";

/** One LiveKit node (or LiveKit Cloud project): where its API is and the key pair it trusts. */
export interface LiveKitNode {
  /** http(s) URL of the node's API; clients get the ws(s) form of it. */
  url: string;
  apiKey: string;
  apiSecret: string;
}

export interface RoomServiceOptions {
  /** Per request; default 5 s, so a dead node fails fast and the caller can place the room elsewhere. */
  requestTimeoutSeconds?: number;
}

/**
 * The real transport. The SDK's own region failover is off: it only applies to LiveKit Cloud hosts, and
 * choosing another node is the fleet's decision, not one request's.
 */
export function roomServiceTransport(node: LiveKitNode, options: RoomServiceOptions = {}): RoomServiceTransport {
  return new RoomServiceClient(node.url, node.apiKey, node.apiSecret, {
    requestTimeout: options.requestTimeoutSeconds ?? 5,
    failover: false,
  });
}

/** `MediaFleet` for a single node; the room-service transport is passed in so tests can swap it. */
export class LiveKitNodeClient implements MediaFleet {
  constructor(
    private readonly node: LiveKitNode,
    private readonly transport: RoomServiceTransport,
  ) {}

  createRoom(room: MediaRoomName, settings: MediaRoomSettings) {
    return rooms.createRoom(this.transport, room, settings);
  }

  updateRoomMetadata(room: MediaRoomName, metadata: string) {
    return rooms.updateRoomMetadata(this.transport, room, metadata);
  }

  listParticipants(room: MediaRoomName) {
    return rooms.listParticipants(this.transport, room);
  }

  closeRoom(room: MediaRoomName) {
    return rooms.closeRoom(this.transport, room);
  }

  load() {
    return rooms.roomLoad(this.transport);
  }

  mintAccessToken(input: MintAccessToken) {
    return mintAccessToken(this.node, input);
  }

  muteTrack(room: MediaRoomName, identity: ParticipantIdentity, trackSid: string) {
    return moderation.muteTrack(this.transport, room, identity, trackSid);
  }

  muteParticipant(room: MediaRoomName, identity: ParticipantIdentity, kind: TrackKind) {
    return moderation.muteParticipant(this.transport, room, identity, kind);
  }

  muteAll(room: MediaRoomName, options: MuteAllOptions) {
    return moderation.muteAll(this.transport, room, options);
  }

  removeParticipant(room: MediaRoomName, identity: ParticipantIdentity) {
    return moderation.removeParticipant(this.transport, room, identity);
  }
}

export function createLiveKitNodeClient(node: LiveKitNode, options: RoomServiceOptions = {}): LiveKitNodeClient {
  return new LiveKitNodeClient(node, roomServiceTransport(node, options));
}
