import type { RecordingLayout, RecordingPhase } from "../../../protocol/recording-indicator.ts";
import type { RecordingExclusion } from "../../../protocol/recording-manifest.ts";
import type { RecorderWatch } from "./recorder-watch.ts";

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
  /** The room's checks of the recorder holding the capture (recorder-watch.ts); absent before it holds one. */
  watch?: RecorderWatch | undefined;
  /** The capture is being moved to another recorder (its recorder was lost, or the meeting changed SFU node). */
  moving?: RecorderMove | undefined;
  /** Spans in which nothing reached the recording (a lost recorder, an SFU move), as the room saw them. */
  gaps?: RecordingGap[] | undefined;
}

export type RecorderMoveReason = "recorder_lost" | "sfu_moved";

export interface RecorderMove {
  reason: RecorderMoveReason;
  /** The recorder that held the capture. */
  from: string;
  /** Since when nothing is known to be captured (the last good check, or the move's start). */
  since: string;
  /** The node the continuation was asked to capture from; null until asked (the meeting may be between nodes). */
  asked: string | null;
}

export interface RecordingGap {
  reason: RecorderMoveReason;
  from: string;
  to: string;
}

export type RecorderEffect =
  /** Start a recording under a fresh id (the reducer has no randomness): a host asked, or the meeting auto-records. */
  | { kind: "new_recording"; by: string; layout: RecordingLayout; consentRequired?: boolean }
  | { kind: "recorder_start"; recordingId: string; nodeUrl: string; layout: RecordingLayout; excluded: RecorderExclusion[] }
  | { kind: "recorder_command"; recordingId: string; recorderId: string; command: "pause" | "resume" | "stop" }
  | { kind: "recorder_exclude"; recordingId: string; recorderId: string; excluded: RecorderExclusion[] }
  /** Does the recorder still hold the capture? Answered by `recorder_checked`. */
  | { kind: "recorder_check"; recordingId: string; recorderId: string }
  /**
   * Continue the same recording on a recorder of the pool against `nodeUrl`: the old capture is stopped first
   * (best effort: a lost recorder may not answer), and a lost recorder is not chosen again. Answered by
   * `recorder_started` (or `recorder_failed` when no recorder could take it).
   */
  | {
      kind: "recorder_move";
      recordingId: string;
      from: string;
      reason: RecorderMoveReason;
      nodeUrl: string;
      layout: RecordingLayout;
      excluded: RecorderExclusion[];
      paused: boolean;
    };

export interface RecorderExclusion {
  identity: string;
  reason: RecordingExclusion;
}

/** What the recorder's answers bring back to the room. */
export type RecorderAnswer =
  | { kind: "recorder_started"; recordingId: string; recorderId: string; excluded: string[]; paused?: boolean }
  | { kind: "recorder_excluded"; recordingId: string; excluded: string[] }
  /** `holdsCapture` false: unreachable, or it no longer has the capture. */
  | { kind: "recorder_checked"; recordingId: string; recorderId: string; holdsCapture: boolean }
  | { kind: "recorder_paused" | "recorder_resumed"; recordingId: string }
  | { kind: "recorder_stopped"; recordingId: string; manifestKey: string; endedAt: string }
  /**
   * `lostRecorderId`: a command to the recorder holding the capture failed because that recorder is gone
   * (unreachable, or it no longer has the capture): the capture moves instead of the recording failing.
   */
  | { kind: "recorder_failed"; recordingId: string; reason: string; lostRecorderId?: string | undefined };

/** What changed in a recording's life, as the record outbox writes it (row, webhook, billed capture). */
export type RecordingChange =
  | { change: "started"; layout: RecordingLayout; title: string }
  | { change: "resumed" }
  /** `capturedSince`: the stretch of capture this ends (billed as recording time); null when none was running. */
  | { change: "paused"; capturedSince: string | null }
  | { change: "stopped"; manifestKey: string; capturedSince: string | null }
  | { change: "failed"; reason: string }
  /** The capture moved to another recorder after a gap (`from`-`to`, as the room saw it); listed in the recording's problems. */
  | { change: "gap"; reason: RecorderMoveReason; from: string; to: string; recorderId: string };

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
