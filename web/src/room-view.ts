import type { RecordingIndicator } from "../../protocol/recording-indicator.ts";
import { isModerator as isModeratorRole } from "../../protocol/permissions.ts";
import type { ChatMessage, RosterEntry, ServerFrame } from "../../protocol/server-frames.ts";

/**
 * What this page knows about the room, rebuilt from server frames only. Pure: `applyFrame` returns a new
 * view and touches no DOM, socket or media; the session applies media side effects (mute, peers) itself.
 */
type Welcome = Extract<ServerFrame, { type: "welcome" }>;
export type LobbyEntry = Welcome["lobby"][number];
export type IceServer = Welcome["iceServers"][number];
export type MediaMode = Welcome["mediaMode"];
/** A finished recording of this meeting a host may play (`recording_ready`). */
export type ReadyRecording = Omit<Extract<ServerFrame, { type: "recording_ready" }>, "type" | "seq">;

export type RoomPhase = "joining" | "waiting" | "in_meeting" | "denied" | "removed" | "ended";

export interface RoomView {
  phase: RoomPhase;
  self: RosterEntry | null;
  /** Admitted participants including self, in join order. */
  roster: readonly RosterEntry[];
  lobby: readonly LobbyEntry[];
  /** Chat in `seq` order. */
  chat: readonly ChatMessage[];
  /** Whether older chat can be fetched with `chat_history`; unknown until asked, so assumed. */
  chatHasMore: boolean;
  locked: boolean;
  spotlight: string | null;
  iceServers: readonly IceServer[];
  /** How media flows: a P2P mesh over `signal`, or the SFU the room placed the meeting on. */
  mediaMode: MediaMode;
  /** Who the SFU reports as connected, with the sources they publish (from LiveKit's webhooks, so it lags). */
  onSfu: Readonly<Record<string, readonly string[]>>;
  /** The meeting's recording as the room announces it (welcome, recording_state): the page must show it. */
  recording: RecordingIndicator | null;
  /** The running recording began while the call was peer to peer, so it moved to the media server for it. */
  recordingMovedMedia: boolean;
  /** Recordings of this meeting that are ready to play (hosts and cohosts only), newest last. */
  readyRecordings: readonly ReadyRecording[];
  /** Why the room is over for us: the ended reason, or who removed us. */
  farewell: string | null;
}

export const initialRoomView: RoomView = {
  phase: "joining",
  self: null,
  roster: [],
  lobby: [],
  chat: [],
  chatHasMore: true,
  locked: false,
  spotlight: null,
  iceServers: [],
  mediaMode: "p2p",
  onSfu: {},
  recording: null,
  recordingMovedMedia: false,
  readyRecordings: [],
  farewell: null,
};

/** Bounds memory in a long meeting; older messages can be fetched again with `chat_history`. */
const maxChatMessages = 500;

export function applyFrame(view: RoomView, frame: ServerFrame): RoomView {
  switch (frame.type) {
    case "welcome":
      return {
        ...initialRoomView,
        phase: "in_meeting",
        self: frame.self,
        roster: sortRoster(upsert(frame.roster, frame.self)),
        lobby: frame.lobby,
        chat: mergeChat([], frame.recentChat),
        chatHasMore: frame.recentChat.length > 0,
        locked: frame.locked,
        spotlight: frame.spotlight,
        iceServers: frame.iceServers,
        mediaMode: frame.mediaMode,
        ...withRecording({ ...initialRoomView, mediaMode: frame.mediaMode }, frame.recording),
        // Links to finished recordings outlive a reconnect's fresh welcome: they are about the meeting, not the socket.
        readyRecordings: view.readyRecordings,
      };
    case "waiting_room":
      return { ...view, phase: "waiting" };
    case "participant_joined":
    case "participant_updated": {
      const self = view.self?.identity === frame.participant.identity ? frame.participant : view.self;
      return { ...view, self, roster: sortRoster(upsert(view.roster, frame.participant)) };
    }
    case "participant_left":
      return {
        ...view,
        roster: view.roster.filter((entry) => entry.identity !== frame.identity),
        spotlight: view.spotlight === frame.identity ? null : view.spotlight,
      };
    case "lobby_updated":
      return { ...view, lobby: frame.lobby };
    case "chat_message":
    case "chat_updated":
      return { ...view, chat: mergeChat(view.chat, [frame.message]) };
    case "chat_history":
      return { ...view, chat: mergeChat(view.chat, frame.messages), chatHasMore: frame.hasMore };
    case "meeting_locked":
      return { ...view, locked: frame.locked };
    case "media_mode":
      return { ...view, mediaMode: frame.mode, onSfu: frame.mode === "p2p" ? {} : view.onSfu };
    case "sfu_join":
      // Credentials are for the media path, not the view; but they only ever come in sfu mode.
      return view.mediaMode === "sfu" ? view : { ...view, mediaMode: "sfu" };
    case "media_state":
      return { ...view, onSfu: frame.onSfu };
    case "spotlight":
      return { ...view, spotlight: frame.target };
    case "recording_state":
      return { ...view, ...withRecording(view, frame.recording) };
    case "recording_ready": {
      const ready = { recordingId: frame.recordingId, playbackUrl: frame.playbackUrl, expiresAt: frame.expiresAt };
      return { ...view, readyRecordings: [...view.readyRecordings.filter((r) => r.recordingId !== ready.recordingId), ready] };
    }
    case "denied":
      return { ...view, phase: "denied" };
    case "removed":
      return { ...view, phase: "removed", farewell: `Removed by ${nameOf(view, frame.by)}${frame.reason ? `: ${frame.reason}` : ""}` };
    case "meeting_ended":
      return { ...view, phase: "ended", farewell: `Reason: ${frame.reason.replaceAll("_", " ")}` };
    case "resumed":
    case "signal":
    case "muted":
    case "pong":
    case "error":
    case "attachment_upload":
    case "attachment_download":
    case "e2ee_key":
    case "e2ee_key_package":
    case "e2ee_rotate":
      return view;
    default:
      return frame satisfies never;
  }
}

export function isModerator(view: RoomView): boolean {
  return view.self ? isModeratorRole(view.self.role) : false;
}

/** A participant's display name, falling back to the identity (names are optional in join tokens). */
export function nameOf(view: RoomView, identity: string): string {
  if (identity === view.self?.identity) return "you";
  return view.roster.find((entry) => entry.identity === identity)?.name ?? identity;
}

/** The recording fields for a new indicator; a recording that starts on a peer-to-peer call moves it to the SFU. */
function withRecording(view: RoomView, recording: RecordingIndicator | null): Pick<RoomView, "recording" | "recordingMovedMedia"> {
  if (!recording) return { recording: null, recordingMovedMedia: false };
  const sameRecording = view.recording?.recordingId === recording.recordingId;
  return { recording, recordingMovedMedia: sameRecording ? view.recordingMovedMedia : view.mediaMode === "p2p" };
}

function upsert(roster: readonly RosterEntry[], entry: RosterEntry): RosterEntry[] {
  const others = roster.filter((existing) => existing.identity !== entry.identity);
  return [...others, entry];
}

function sortRoster(roster: RosterEntry[]): RosterEntry[] {
  return roster.sort((a, b) => a.joinedAt.localeCompare(b.joinedAt) || a.identity.localeCompare(b.identity));
}

/** Merges by `seq`: a replayed frame after a resume, or an edit, replaces rather than duplicates. */
function mergeChat(existing: readonly ChatMessage[], incoming: readonly ChatMessage[]): ChatMessage[] {
  const bySeq = new Map(existing.map((message) => [message.seq, message]));
  for (const message of incoming) bySeq.set(message.seq, message);
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq).slice(-maxChatMessages);
}
