import type { RecordingIndicator } from "../../../protocol/recording-indicator.ts";
import type { RecorderAnswer, RecorderExclusion, RecordingChange, RecordingRequest, RoomRecording } from "./recording-state.ts";
import type { RoomTransition } from "./room-transition.ts";
import { moveToSfu } from "./sfu-switch.ts";
import { watchRecorder } from "./recorder-watch.ts";

/**
 * The meeting's recording, as the room runs it (issue 13). Pure: the recorder is driven through effects and
 * answers with room events. The rules:
 *  - Everyone is told (`recording_state`, and `welcome` for later joiners) before the recorder is asked to
 *    capture anything, and every change of who is captured is told the same way.
 *  - Media must pass a server to be captured: a peer-to-peer meeting moves to the SFU first.
 *  - With consent required, nobody is captured before accepting; a participant who declines, or whom a host
 *    excludes, is never subscribed to (the recorder's exclusion set says so before their media reaches the SFU:
 *    a joiner gets SFU credentials only once the recorder has confirmed the set that covers them).
 *  - Paused: nothing is captured. Stopping waits for the recorder to upload its last chunks and the manifest.
 *  - The recording stops when the meeting ends or empties.
 */
export type RecordingCommandRefusal = "meeting_not_live" | "recording_in_progress" | "recording_not_active";

export const recordingRefusalDetail: Record<RecordingCommandRefusal, string> = {
  meeting_not_live: "Nobody is in the meeting: there is nothing to record",
  recording_in_progress: "Another recording of this meeting is running; stop it first",
  recording_not_active: "That recording is not running (or cannot do this in its current phase)",
};

/** Why the room would refuse a command now, if it would (checked by the route before it dispatches). */
export function recordingRefusal(t: Pick<RoomTransition, "state">, request: RecordingRequest): RecordingCommandRefusal | undefined {
  const recording = t.state.recording;
  const live = !t.state.endedReason && Object.keys(t.state.members).length > 0;
  if (request.action === "start") {
    if (recording) return recording.id === request.recordingId ? undefined : "recording_in_progress";
    return live ? undefined : "meeting_not_live";
  }
  if (!recording || (request.recordingId !== undefined && recording.id !== request.recordingId)) return "recording_not_active";
  if (recording.phase === "stopping") return request.action === "stop" ? undefined : "recording_not_active";
  if (request.action === "pause" && recording.phase === "paused") return undefined;
  if (request.action === "resume" && recording.phase !== "paused")
    return recording.phase === "capturing" ? undefined : "recording_not_active";
  return undefined;
}

/** Carries out a command the route (or a host's frame) made; refusals were checked by `recordingRefusal`. */
export function commandRecording(t: RoomTransition, request: RecordingRequest): void {
  if (recordingRefusal(t, request)) return;
  const recording = t.state.recording;
  switch (request.action) {
    case "start":
      if (!recording) start(t, request);
      return;
    case "pause":
      if (recording?.phase === "capturing" && recording.recorderId) {
        setRecording(t, { ...recording, phase: "paused", capturingSince: null });
        // While the capture moves, the new recorder is told when it answers (recording-continuity.ts).
        if (!recording.moving)
          t.effect({ kind: "recorder_command", recordingId: recording.id, recorderId: recording.recorderId, command: "pause" });
        record(t, recording.id, request.by, { change: "paused", capturedSince: recording.capturingSince });
      }
      return;
    case "resume":
      if (recording?.phase === "paused" && recording.recorderId) {
        setRecording(t, { ...recording, phase: "capturing", capturingSince: t.nowIso });
        if (!recording.moving)
          t.effect({ kind: "recorder_command", recordingId: recording.id, recorderId: recording.recorderId, command: "resume" });
        record(t, recording.id, request.by, { change: "resumed" });
      }
      return;
    case "stop":
      if (recording) stop(t, request.by);
      return;
    default:
      request satisfies never;
  }
}

function start(t: RoomTransition, request: Extract<RecordingRequest, { action: "start" }>): void {
  const consentRequired = request.consentRequired ?? t.state.settings.recordingConsent;
  const recording: RoomRecording = {
    id: request.recordingId,
    phase: "starting",
    startedBy: request.by,
    startedAt: t.nowIso,
    layout: request.layout,
    consentRequired,
    consent: {},
    excludedByHost: [],
    recorderId: null,
    requestedExcluded: [],
    confirmedExcluded: [],
    awaitingGrant: [],
    stoppedBy: null,
    capturingSince: null,
  };
  // Told first: the indicator goes out in this same turn, before the recorder is asked to join.
  setRecording(t, recording);
  record(t, recording.id, request.by, { change: "started", layout: request.layout, title: t.state.settings.title });
  const mode = t.state.mediaMode;
  if (mode.kind === "sfu") askRecorder(t, mode.url);
  else if (mode.kind === "p2p") moveToSfu(t);
  // placing: the recorder is asked once the meeting is placed (`onMediaPlaced`).
}

function askRecorder(t: RoomTransition, nodeUrl: string): void {
  const recording = t.state.recording;
  if (!recording) return;
  const excluded = exclusions(t);
  setRecording(t, { ...recording, requestedExcluded: excluded.map((e) => e.identity) }, false);
  t.effect({ kind: "recorder_start", recordingId: recording.id, nodeUrl, layout: recording.layout, excluded });
}

/** The meeting is on an SFU node now (first placement or a move): a recording waiting for it starts. */
export function onMediaPlaced(t: RoomTransition, nodeUrl: string): void {
  const recording = t.state.recording;
  if (!recording || recording.recorderId) return;
  if (recording.phase === "starting") askRecorder(t, nodeUrl);
  else if (recording.phase === "stopping") fail(t, recording, "stopped before capture began");
}

/** The meeting could not be placed on the SFU: a recording waiting for it cannot start. */
export function onMediaUnavailable(t: RoomTransition, reason: string): void {
  const recording = t.state.recording;
  if (recording && !recording.recorderId) fail(t, recording, `the meeting could not move to the SFU (${reason})`);
}

function stop(t: RoomTransition, by: string): void {
  const recording = t.state.recording;
  if (!recording || recording.phase === "stopping") return;
  setRecording(t, { ...recording, phase: "stopping", awaitingGrant: [], stoppedBy: by });
  grantWaiting(t, recording.awaitingGrant);
  // A recorder that has not answered the start yet is stopped when it does (`onRecorderAnswer`); one still
  // waiting for the SFU placement fails when the placement lands (`onMediaPlaced`).
  // A capture being moved is stopped once the new recorder answers (recording-continuity.ts).
  if (recording.moving) return;
  if (recording.recorderId)
    t.effect({ kind: "recorder_command", recordingId: recording.id, recorderId: recording.recorderId, command: "stop" });
  else if (t.state.mediaMode.kind === "p2p") fail(t, recording, "stopped before capture began");
}

/** Meeting ended or emptied: nothing more to capture. */
export function stopRecordingWithMeeting(t: RoomTransition, by: string): void {
  if (t.state.recording) stop(t, by);
}

export function onRecorderAnswer(t: RoomTransition, answer: RecorderAnswer): void {
  const recording = t.state.recording;
  if (!recording || recording.id !== answer.recordingId) return;
  switch (answer.kind) {
    case "recorder_started": {
      const started = { ...recording, recorderId: answer.recorderId, confirmedExcluded: answer.excluded, watch: watchRecorder(t.now) };
      if (recording.phase === "stopping") {
        setRecording(t, started, false);
        t.effect({ kind: "recorder_command", recordingId: recording.id, recorderId: answer.recorderId, command: "stop" });
        return;
      }
      setRecording(t, { ...started, phase: "capturing", capturingSince: t.nowIso });
      afterExclusionConfirmed(t);
      // The set may have changed while the recorder was joining.
      syncExclusions(t);
      return;
    }
    case "recorder_excluded":
      setRecording(t, { ...recording, confirmedExcluded: answer.excluded }, false);
      afterExclusionConfirmed(t);
      return;
    case "recorder_paused":
    case "recorder_resumed":
    case "recorder_checked":
      return;
    case "recorder_stopped":
      grantWaiting(t, recording.awaitingGrant);
      setRecording(t, null);
      t.effect({
        kind: "record_recording",
        recordingId: recording.id,
        at: answer.endedAt,
        by: recording.stoppedBy ?? "room",
        change: "stopped",
        manifestKey: answer.manifestKey,
        capturedSince: recording.capturingSince,
      });
      return;
    case "recorder_failed":
      fail(t, recording, answer.reason);
      return;
    default:
      answer satisfies never;
  }
}

export function fail(t: RoomTransition, recording: RoomRecording, reason: string): void {
  grantWaiting(t, recording.awaitingGrant);
  setRecording(t, null);
  record(t, recording.id, recording.startedBy, { change: "failed", reason: reason.slice(0, 500) });
}

/** A participant answered the consent question (or changed their answer). */
export function answerConsent(t: RoomTransition, identity: string, accept: boolean): boolean {
  const recording = t.state.recording;
  if (!recording || recording.phase === "stopping") return false;
  setRecording(t, { ...recording, consent: { ...recording.consent, [identity]: accept ? "accepted" : "declined" } });
  syncExclusions(t);
  return true;
}

/** A host excluded someone from the recording, or included them again. */
export function excludeFromRecording(t: RoomTransition, target: string, excluded: boolean): boolean {
  const recording = t.state.recording;
  if (!recording || recording.phase === "stopping") return false;
  const others = recording.excludedByHost.filter((identity) => identity !== target);
  setRecording(t, { ...recording, excludedByHost: excluded ? [...others, target] : others });
  syncExclusions(t);
  return true;
}

/**
 * Someone was seated while a recording runs. Without consent they are captured like everyone else. With consent
 * they are excluded until they accept, and their SFU credentials wait until the recorder has confirmed that.
 * Returns whether the caller may grant SFU credentials now.
 */
export function seatDuringRecording(t: RoomTransition, identity: string): boolean {
  const recording = t.state.recording;
  if (!recording || recording.phase === "stopping") return true;
  const excluded = exclusions(t).some((e) => e.identity === identity);
  if (!excluded) return true;
  // Not captured: every page lists them as such (a new pending participant, or one a host excluded before).
  if (recording.confirmedExcluded.includes(identity)) {
    setRecording(t, recording);
    return true;
  }
  setRecording(t, { ...recording, awaitingGrant: [...recording.awaitingGrant.filter((i) => i !== identity), identity] });
  syncExclusions(t);
  return false;
}

/** Someone left: they no longer count in the indicator; the recording stops when nobody is left. */
export function leaveDuringRecording(t: RoomTransition, identity: string): void {
  const recording = t.state.recording;
  if (!recording) return;
  const awaitingGrant = recording.awaitingGrant.filter((i) => i !== identity);
  // The indicator lists only people in the meeting: it changes if the leaver was listed as not captured.
  const wasListed = recording.consentRequired || identity in recording.consent || recording.excludedByHost.includes(identity);
  setRecording(t, { ...recording, awaitingGrant }, wasListed);
  if (!Object.keys(t.state.members).length) stop(t, "room");
}

/** Who must not be captured now: decliners and not-yet-answered participants (consent), and host exclusions. */
export function exclusions(t: Pick<RoomTransition, "state">): RecorderExclusion[] {
  const recording = t.state.recording;
  if (!recording) return [];
  const out: RecorderExclusion[] = [];
  const seen = new Set<string>();
  for (const identity of recording.excludedByHost) {
    seen.add(identity);
    out.push({ identity, reason: "excluded_by_host" });
  }
  if (recording.consentRequired) {
    for (const identity of Object.keys(t.state.members)) {
      if (seen.has(identity) || recording.consent[identity] === "accepted") continue;
      seen.add(identity);
      out.push({ identity, reason: "declined" });
    }
  } else {
    for (const [identity, answer] of Object.entries(recording.consent)) {
      if (answer === "declined" && !seen.has(identity)) {
        seen.add(identity);
        out.push({ identity, reason: "declined" });
      }
    }
  }
  return out.sort((a, b) => a.identity.localeCompare(b.identity));
}

/** Tells the recorder the current set when it differs from what it was last asked for. */
export function syncExclusions(t: RoomTransition): void {
  const recording = t.state.recording;
  // A moving capture gets the set with its continuation, and any change once it answers.
  if (!recording?.recorderId || recording.phase === "stopping" || recording.moving) return;
  const wanted = exclusions(t);
  const asked = recording.requestedExcluded;
  if (wanted.length === asked.length && wanted.every((e) => asked.includes(e.identity))) return;
  setRecording(t, { ...recording, requestedExcluded: wanted.map((e) => e.identity) }, false);
  t.effect({ kind: "recorder_exclude", recordingId: recording.id, recorderId: recording.recorderId, excluded: wanted });
}

export function afterExclusionConfirmed(t: RoomTransition): void {
  const recording = t.state.recording;
  if (!recording) return;
  const ready = recording.awaitingGrant.filter((identity) => recording.confirmedExcluded.includes(identity));
  if (!ready.length) return;
  setRecording(t, { ...recording, awaitingGrant: recording.awaitingGrant.filter((identity) => !ready.includes(identity)) }, false);
  grantWaiting(t, ready);
}

function grantWaiting(t: RoomTransition, identities: readonly string[]): void {
  const mode = t.state.mediaMode;
  const present = identities.filter((identity) => t.state.members[identity]);
  if (mode.kind === "sfu" && present.length) t.effect({ kind: "grant_sfu", nodeId: mode.nodeId, identities: present });
}

/** The indicator every participant sees. */
export function recordingIndicator(t: Pick<RoomTransition, "state">): RecordingIndicator | null {
  const recording = t.state.recording;
  if (!recording) return null;
  const byHost = new Set(recording.excludedByHost);
  const notCaptured: RecordingIndicator["notCaptured"] = [];
  for (const identity of Object.keys(t.state.members).sort()) {
    if (byHost.has(identity)) notCaptured.push({ identity, reason: "excluded_by_host" });
    else if (recording.consent[identity] === "declined") notCaptured.push({ identity, reason: "declined" });
    else if (recording.consentRequired && recording.consent[identity] !== "accepted") notCaptured.push({ identity, reason: "pending" });
  }
  const { id, phase, startedAt, startedBy, layout, consentRequired } = recording;
  // Truthful while the capture moves: nothing is being captured since then; and the gaps the recording has.
  const interrupted = recording.moving ? { interruptedSince: recording.moving.since } : {};
  const gaps = recording.gaps?.length ? { gaps: recording.gaps } : {};
  return { recordingId: id, phase, startedAt, startedBy, layout, consentRequired, notCaptured, ...interrupted, ...gaps };
}

/** Sets the recording and, unless told not to (bookkeeping only), tells everyone the new indicator. */
export function setRecording(t: RoomTransition, recording: RoomRecording | null, announce = true): void {
  t.state = { ...t.state, recording };
  if (announce) t.emit({ type: "recording_state", recording: recordingIndicator(t) }, { kind: "all" });
}

export function record(t: RoomTransition, recordingId: string, by: string, change: Exclude<RecordingChange, { change: "stopped" }>): void {
  t.effect({ kind: "record_recording", recordingId, at: t.nowIso, by, ...change });
}
