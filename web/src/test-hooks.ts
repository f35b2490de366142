import type { RecordingPhase } from "../../protocol/recording-indicator.ts";
import type { InboundMedia } from "./inbound-media.ts";
import type { PlaybackState } from "./recording-player.ts";
import type { MediaMode } from "./room-view.ts";
import type { SfuStatus } from "./sfu-link.ts";

/**
 * `window.__meeting`: a read-only window into the page for browser tests (roster, seq, media path, peer
 * connections, what the SFU delivers), so they assert on room and media state rather than on pixels.
 */
export interface MeetingTestHooks {
  state(): {
    connected: boolean;
    identity: string | null;
    roster: string[];
    lastSeq: number;
    phase: string;
    mediaMode: MediaMode;
    sfu: { status: SfuStatus; url: string | null };
    /** The running recording's phase as the page holds it (null: none), and the ready ones it was told of. */
    recording: { phase: RecordingPhase; recordingId: string } | null;
    readyRecordings: string[];
  };
  /** The P2P mesh's connections by remote identity (empty on the SFU). */
  peerConnections(): Map<string, RTCPeerConnection>;
  /** Per remote identity, the bytes and frames received from them over the SFU (empty in P2P). */
  sfuInbound(): Promise<Record<string, InboundMedia>>;
  /** The in-page recording player: what it plays and how many frames it decoded (null: closed). */
  playback(): PlaybackState | null;
}

declare global {
  interface Window {
    __meeting?: MeetingTestHooks;
  }
}

export function exposeTestHooks(hooks: MeetingTestHooks): void {
  window.__meeting = hooks;
}

export const idleTestHooks: MeetingTestHooks = {
  state: () => ({
    connected: false,
    identity: null,
    roster: [],
    lastSeq: 0,
    phase: "idle",
    mediaMode: "p2p",
    sfu: { status: "idle", url: null },
    recording: null,
    readyRecordings: [],
  }),
  peerConnections: () => new Map(),
  sfuInbound: async () => ({}),
  playback: () => null,
};
