import type { RecordingLayout, RecordingPhase } from "../../../protocol/recording-indicator.ts";
import type { RecordingExclusion } from "../../../protocol/recording-manifest.ts";

/**
 * The meeting's recording as the room holds it, the effects that drive the recorder, and the recorder's answers
 * (the rules are in room-recording.ts). Types only, so the room's state and transition can name them.
 */
export interface RoomRecording {
  id: string;
  phase: RecordingPhase;
  startedBy: string;
  startedAt: string;
  layout: RecordingLayout;
  consentRequired: boolean;
  consent: Record<string, "accepted" | "declined">;
  excludedByHost: string[];
  /** The recorder capturing it, once it answered the start. */
  recorderId: string | null;
  /** The exclusion set the recorder was last asked for, and the one it last confirmed (identities). */
  requestedExcluded: string[];
  confirmedExcluded: string[];
  /** Joiners whose SFU credentials wait for the recorder to confirm their exclusion. */
  awaitingGrant: string[];
  /** Who asked to stop (`room` when the meeting ended or emptied). */
  stoppedBy: string | null;
  /** When the current stretch of capture began (the recorder's start, or the last resume); null while not capturing. */
  capturingSince: string | null;
}

export type RecorderEffect =
  /** Start a recording under a fresh id (the reducer has no randomness): a host asked, or the meeting auto-records. */
  | { kind: "new_recording"; by: string; layout: RecordingLayout; consentRequired?: boolean }
  | { kind: "recorder_start"; recordingId: string; nodeUrl: string; layout: RecordingLayout; excluded: RecorderExclusion[] }
  | { kind: "recorder_command"; recordingId: string; recorderId: string; command: "pause" | "resume" | "stop" }
  | { kind: "recorder_exclude"; recordingId: string; recorderId: string; excluded: RecorderExclusion[] };

export interface RecorderExclusion {
  identity: string;
  reason: RecordingExclusion;
}

/** What the recorder's answers bring back to the room. */
export type RecorderAnswer =
  | { kind: "recorder_started"; recordingId: string; recorderId: string; excluded: string[] }
  | { kind: "recorder_excluded"; recordingId: string; excluded: string[] }
  | { kind: "recorder_paused" | "recorder_resumed"; recordingId: string }
  | { kind: "recorder_stopped"; recordingId: string; manifestKey: string; endedAt: string }
  | { kind: "recorder_failed"; recordingId: string; reason: string };

/** What changed in a recording's life, as the record outbox writes it (row, webhook, billed capture). */
export type RecordingChange =
  | { change: "started"; layout: RecordingLayout; title: string }
  | { change: "resumed" }
  /** `capturedSince`: the stretch of capture this ends (billed as recording time); null when none was running. */
  | { change: "paused"; capturedSince: string | null }
  | { change: "stopped"; manifestKey: string; capturedSince: string | null }
  | { change: "failed"; reason: string };

/** The recording's Postgres record and webhook, written in order by the record outbox. */
export type RecordingRecordEffect = {
  kind: "record_recording";
  recordingId: string;
  at: string;
  by: string;
} & RecordingChange;

export type RecordingRequest =
  | { action: "start"; recordingId: string; by: string; layout: RecordingLayout; consentRequired?: boolean | undefined }
  | { action: "pause" | "resume" | "stop"; recordingId?: string | undefined; by: string };
