import type { MeetingId, MediaRoomName, ParticipantIdentity, TenantId } from "../../protocol/ids.ts";
import type { RecordingExclusion } from "../../protocol/recording-manifest.ts";

/**
 * Capture at the SFU (issue 13): a pool of track recorders, each joining a meeting's media room hidden and
 * subscribe-only. Implemented for our Go recorder (`media-fleet/recorder/`); a managed LiveKit Cloud fleet could
 * implement it with track egress. Every failure is a `MediaFleetError` with a stable code.
 */

export interface Exclusion {
  identity: ParticipantIdentity;
  reason: RecordingExclusion;
}

export interface StartCapture {
  recordingId: string;
  tenantId: TenantId;
  meetingId: MeetingId;
  room: MediaRoomName;
  /** The WebSocket URL of the SFU node that hosts the room. */
  nodeUrl: string;
  /** Never subscribed to, from the first instant. */
  excluded: Exclusion[];
  layout: "grid" | "speaker";
  /** Continue a recording another capture held: its manifest is taken over, the span since its last write is lost. */
  continuing?: boolean;
  /** Start paused. */
  paused?: boolean;
  /** Pool members not to place it on (a recorder that was lost). */
  avoid?: readonly string[];
}

export type CaptureState = "capturing" | "paused" | "stopped";

export interface CaptureStatus {
  recordingId: string;
  /** The pool member capturing it: pass it back to every later call. */
  recorderId: string;
  state: CaptureState;
  startedAt: Date;
  /** Tracks being written now. */
  activeTracks: number;
  /** Chunks uploaded to S3 so far. */
  chunksUploaded: number;
  excluded: Exclusion[];
  /** Finished pauses, wall clock. */
  paused: { from: Date; to: Date }[];
}

export interface Recorder {
  /** Places the capture on a recorder with room for it and starts it. A second start of the same id returns its status. */
  start(input: StartCapture): Promise<CaptureStatus>;
  /** Nothing is captured while paused: current chunks are closed and no packet is written until `resume`. */
  pause(recorderId: string, recordingId: string): Promise<CaptureStatus>;
  resume(recorderId: string, recordingId: string): Promise<CaptureStatus>;
  /** Replaces the exclusion set: a newly excluded participant is unsubscribed at once and their open files closed. */
  exclude(recorderId: string, recordingId: string, excluded: Exclusion[]): Promise<CaptureStatus>;
  /** Leaves the room, uploads the last chunks and the manifest; returns the manifest's S3 key. Idempotent. */
  stop(recorderId: string, recordingId: string): Promise<{ manifestKey: string; status: CaptureStatus }>;
  status(recorderId: string, recordingId: string): Promise<CaptureStatus>;
}
