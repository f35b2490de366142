import type { RecordingIndicator, RecordingPhase } from "../../protocol/recording-indicator.ts";
import { isModerator, nameOf, type RoomView } from "./room-view.ts";

/**
 * What the page says about the meeting's recording, derived from the room's indicator alone (pure). The
 * indicator, the consent prompt, the host controls and the roster badges all read it from here, so the page has
 * one answer to "is this meeting being recorded, and am I in it".
 */
export type NotCapturedReason = RecordingIndicator["notCaptured"][number]["reason"];
type RecordingGap = NonNullable<RecordingIndicator["gaps"]>[number];

export interface RecordingStatus {
  phase: RecordingPhase;
  /** The indicator's words: "Recording", "Recording paused", "Starting recording…", "Saving recording…". */
  label: string;
  /** "Started by Ada" (or "by you"). */
  startedBy: string;
  /** Why I am not captured, or null when I am (or will be once capture begins). */
  selfNotCaptured: NotCapturedReason | null;
  /** "You are not being recorded" and why, when I am not. */
  selfNote: string | null;
  /** The call moved (or is moving) through the media server for this recording. */
  mediaNote: string | null;
  /** Capture is moving to another recorder now, or spans are missing from the recording: say so, never hide it. */
  continuityNote: string | null;
  /** Ask me now: consent is required and I have not answered. */
  consentPrompt: boolean;
  /** Changing my answer from the indicator: what the button sends and says (none while I must answer the prompt). */
  changeAnswer: { accept: boolean; label: string } | null;
}

const phaseLabels: Record<RecordingPhase, string> = {
  starting: "Starting recording…",
  capturing: "Recording",
  paused: "Recording paused",
  stopping: "Saving recording…",
};

const notCapturedNotes: Record<NotCapturedReason, string> = {
  declined: "You are not being recorded: you declined",
  pending: "You are not being recorded until you agree",
  excluded_by_host: "You are not being recorded: a host excluded you",
};

/** Why the roster's "Not recorded" badge is there (its tooltip). */
export const notCapturedTitles: Record<NotCapturedReason, string> = {
  declined: "Not recorded: declined",
  pending: "Not recorded: consent pending",
  excluded_by_host: "Not recorded: excluded",
};

/** Null exactly when no recording runs: the page shows the indicator whenever this is not null. */
export function recordingStatus(view: RoomView): RecordingStatus | null {
  const recording = view.recording;
  if (!recording) return null;
  const selfNotCaptured = view.self ? notCapturedReason(view, view.self.identity) : null;
  const answerable = recording.phase !== "stopping";
  const consentPrompt = answerable && recording.consentRequired && selfNotCaptured === "pending";
  let changeAnswer: RecordingStatus["changeAnswer"] = null;
  if (answerable && !consentPrompt && selfNotCaptured !== "excluded_by_host") {
    changeAnswer =
      selfNotCaptured === "declined" ? { accept: true, label: "Allow recording me" } : { accept: false, label: "Don't record me" };
  }
  return {
    phase: recording.phase,
    label: phaseLabels[recording.phase],
    startedBy: `Started by ${nameOf(view, recording.startedBy)}`,
    selfNotCaptured,
    selfNote: selfNotCaptured ? notCapturedNotes[selfNotCaptured] : null,
    mediaNote: view.recordingMovedMedia
      ? view.mediaMode === "p2p"
        ? "Moving the call through the media server so it can be recorded…"
        : "The call now goes through the media server so it can be recorded"
      : null,
    continuityNote: continuityNote(recording),
    consentPrompt,
    changeAnswer,
  };
}

const gapCauses: Record<RecordingGap["reason"], string> = {
  recorder_lost: "its recorder was lost",
  sfu_moved: "the call moved to another media server",
};

/** While the capture moves nothing is recorded; afterwards the missing seconds stay listed for everyone. */
function continuityNote(recording: RecordingIndicator): string | null {
  if (recording.interruptedSince) return "Recording interrupted: nothing is captured until it continues on another recorder";
  const gaps = recording.gaps ?? [];
  if (gaps.length === 0) return null;
  const missingSeconds = gaps.reduce((sum, gap) => sum + Math.max(0, Date.parse(gap.to) - Date.parse(gap.from)), 0) / 1000;
  const causes = [...new Set(gaps.map((gap) => gapCauses[gap.reason]))].join(", ");
  return `${Math.round(missingSeconds)} s missing from the recording (${causes})`;
}

/** Why the recording leaves `identity` out, or null when it captures them. */
export function notCapturedReason(view: RoomView, identity: string): NotCapturedReason | null {
  return view.recording?.notCaptured.find((entry) => entry.identity === identity)?.reason ?? null;
}

/** What a host or cohost may do to the recording now. */
export interface RecordingControlState {
  /** Start a new recording (none runs). */
  start: boolean;
  pauseOrResume: "pause" | "resume" | null;
  stop: boolean;
  /** Exclude or include participants. */
  exclude: boolean;
}

export function recordingControls(view: RoomView): RecordingControlState | null {
  if (view.phase !== "in_meeting" || !isModerator(view)) return null;
  const phase = view.recording?.phase;
  return {
    start: phase === undefined,
    pauseOrResume: phase === "capturing" ? "pause" : phase === "paused" ? "resume" : null,
    stop: phase !== undefined && phase !== "stopping",
    exclude: phase !== undefined && phase !== "stopping",
  };
}

/** A one-line notice when the recording starts, pauses, resumes or ends (shown as a toast), or null. */
export function recordingNotice(before: RoomView, after: RoomView): string | null {
  const [was, now] = [before.recording, after.recording];
  if (!was && now) {
    const moved = after.recordingMovedMedia ? "; the call moves through the media server so it can be recorded" : "";
    return `${capitalized(nameOf(after, now.startedBy))} started recording${moved}`;
  }
  if (was && !now) {
    if (was.phase === "stopping") return "Recording stopped";
    return was.phase === "starting" ? "The recording could not start" : "The recording ended unexpectedly";
  }
  if (was && now && was.recordingId === now.recordingId && !was.interruptedSince && now.interruptedSince) {
    return "Recording interrupted: continuing on another recorder";
  }
  if (was && now && was.recordingId === now.recordingId && was.interruptedSince && !now.interruptedSince) {
    return "Recording continues";
  }
  if (was && now && was.recordingId === now.recordingId && was.phase !== now.phase) {
    if (now.phase === "paused") return "Recording paused";
    if (was.phase === "paused" && now.phase === "capturing") return "Recording resumed";
  }
  return null;
}

const capitalized = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
