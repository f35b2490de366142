import { isModerator } from "../../../protocol/permissions.ts";
import type { ClientFrame } from "../../../protocol/client-frames.ts";
import type { RoomErrorCode } from "../../../protocol/room-errors.ts";
import type { ChatMessage, RosterEntry } from "../../../protocol/server-frames.ts";
import { createChatLog, type ChatLogState } from "./chat-log.ts";
import { createFrameLog, type FrameLog } from "./frame-log.ts";
import type { MediaRoomEvent } from "../../../protocol/media-events.ts";
import type { LocationHint } from "../../../protocol/location-hint.ts";
import type { MeetingRoomSettings, MeetingSettingsUpdate } from "../../../protocol/room-contract.ts";
import { emptyMediaPresence, type MediaPresence } from "./media-presence.ts";
import type { MediaMode, SfuGrant } from "./media-mode.ts";
import { createWaitingRoom, type WaitingRoomState } from "./waiting-room.ts";
import type { RecorderAnswer, RecordingRequest, RoomRecording } from "./recording-state.ts";

/** A participant admitted to the meeting (connected, or disconnected within the resume grace window). */
export interface Member extends RosterEntry {
  connected: boolean;
  /** ms of the last frame or (re)connect; drives heartbeat timeouts and the grace window. */
  lastSeenAt: number;
  tokenId: string;
  tokenExpiresAt: string;
  /** Who minted the token the seat was taken with (absent: the tenant's server): see core/identity-holder.ts. */
  mintedBy?: string;
}

export interface RoomSettings {
  /** The meeting's title: read from Postgres by the first connect, then kept current by the API's edits. */
  title: string;
  waitingRoom: boolean;
  maxParticipants: number;
  /** How long a dropped participant can resume before being removed (ms). */
  graceMs: number;
  /** A connected participant silent for this long is treated as dropped (ms). */
  heartbeatTimeoutMs: number;
  /** The meeting ends on its own at this time (ms), if scheduled. */
  scheduledEndAt: number | null;
  /** An emptied meeting ends after this long without anyone rejoining (ms). */
  idleTimeoutMs: number;
  /** The meeting moves from peer to peer to the SFU when this many people are in it. */
  sfuThreshold: number;
  /** The first participant's arrival starts a recording (room-recording.ts). */
  autoRecord: boolean;
  /** Recordings ask each participant and capture only those who accept. */
  recordingConsent: boolean;
}

/** Everything the meeting's Durable Object knows; plain JSON so it persists as is. */
export interface RoomState {
  meetingId: string;
  /** The owning tenant: scopes attachment keys (and so download links) to this tenant's meeting. */
  tenantId: string;
  settings: RoomSettings;
  endedReason: string | null;
  members: Record<string, Member>;
  lobby: WaitingRoomState;
  chat: ChatLogState;
  chatSeq: number;
  frames: FrameLog;
  spotlight: string | null;
  e2eeKeys: Record<string, Record<string, string>>;
  /** The meeting's media on the SFU, from LiveKit's webhooks. */
  media: MediaPresence;
  /** Peer to peer, being placed on the fleet, or on an SFU node (sfu-switch.ts). */
  mediaMode: MediaMode;
  /** Where the first joiner connected from (Cloudflare's request.cf): where the meeting is placed. */
  locationHint: LocationHint | null;
  /** The current session: from the first join to the end; written to meeting_sessions when it ends. */
  session: { startedAt: string; peakParticipants: number; emptySince: number | null } | null;
  /** The recording that runs now, if any (room-recording.ts). */
  recording: RoomRecording | null;
}

/** Who is on the other end of a socket, as verified by the Worker from the join token. */
export interface Participant {
  identity: string;
  name?: string | undefined;
  role: RosterEntry["role"];
  tokenId: string;
  tokenExpiresAt: Date;
  mintedBy?: string | undefined;
}

export interface IceServer {
  urls: string[];
  username?: string;
  credential?: string;
}

export type RoomEvent =
  /** On every connect: the owning tenant (from the verified token) and the meeting's settings as the Worker last read them. */
  | { kind: "configure"; meetingId: string; tenantId: string; settings: MeetingRoomSettings }
  /** An API edit of the meeting reaching a live room (a room nobody joined yet reads them on its first connect). */
  | { kind: "settings_changed"; settings: MeetingSettingsUpdate }
  | { kind: "hello"; participant: Participant; frame: Extract<ClientFrame, { type: "hello" }>; iceServers: IceServer[] }
  | { kind: "frame"; identity: string; frame: Exclude<ClientFrame, { type: "hello" }>; iceServers?: IceServer[] }
  | { kind: "disconnected"; identity: string; clean: boolean }
  | { kind: "reject"; identity: string; code: RoomErrorCode; message: string; ref?: string | undefined }
  | { kind: "upload_ready"; identity: string; ref: string; objectKey: string; uploadUrl: string; expiresAt: string }
  | { kind: "download_ready"; identity: string; ref: string; objectKey: string; downloadUrl: string; expiresAt: string }
  /** Older chat read from Postgres for a history page the window could not fill (`window` is the part it could). */
  | { kind: "history_loaded"; identity: string; ref: string; window: ChatMessage[]; archived: ChatMessage[]; hasMore: boolean }
  | { kind: "chat_persisted"; flushed: Array<{ seq: number; revision: number }> }
  /** Messages Postgres kept refusing: they leave the outbox (outbox_dead_letters holds them) and may leave the window. */
  | { kind: "chat_dead_lettered"; messages: Array<{ seq: number; revision: number }> }
  | { kind: "media"; event: MediaRoomEvent }
  | { kind: "media_placed"; nodeId: string; url: string }
  | { kind: "media_placement_failed"; reason: string }
  | { kind: "sfu_grants"; nodeId: string; grants: SfuGrant[] }
  /** The shell's probe of the meeting's media node answered (sfu-switch.ts decides what it means). */
  | { kind: "media_probed"; nodeId: string; healthy: boolean }
  | { kind: "tick" }
  | { kind: "end"; reason: string }
  /** A recording command from the API (the route checked it with `recordingRefusal` first). */
  | { kind: "recording_command"; request: RecordingRequest }
  /** The recorder answered one of the room's recorder effects. */
  | { kind: "recorder"; answer: RecorderAnswer }
  /** A recording of this meeting is ready: its hosts still here get the playback link. */
  | { kind: "recording_ready"; recordingId: string; playbackUrl: string; expiresAt: string };

export function createRoomState(meetingId: string, settings: Partial<RoomSettings> & { waitingRoom: boolean }, tenantId = ""): RoomState {
  const full: RoomSettings = {
    title: "",
    maxParticipants: 100,
    graceMs: 30_000,
    heartbeatTimeoutMs: 60_000,
    scheduledEndAt: null,
    idleTimeoutMs: 5 * 60_000,
    sfuThreshold: 5,
    autoRecord: false,
    recordingConsent: false,
    ...settings,
  };
  return {
    meetingId,
    tenantId,
    settings: full,
    endedReason: null,
    members: {},
    lobby: createWaitingRoom({ enabled: full.waitingRoom }),
    chat: createChatLog(),
    chatSeq: 0,
    frames: createFrameLog({ maxEntries: 2000, maxAgeMs: full.graceMs * 2 }),
    spotlight: null,
    e2eeKeys: {},
    media: emptyMediaPresence(),
    mediaMode: { kind: "p2p" },
    locationHint: null,
    session: null,
    recording: null,
  };
}

export function rosterEntry(member: Member): RosterEntry {
  const { identity, name, role, audioMuted, videoMuted, handRaised, connectionQuality, joinedAt } = member;
  return { identity, ...(name ? { name } : {}), role, audioMuted, videoMuted, handRaised, connectionQuality, joinedAt };
}

export const moderators = (state: RoomState) =>
  Object.values(state.members)
    .filter((m) => isModerator(m.role))
    .map((m) => m.identity);
