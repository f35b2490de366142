import type { RecorderAnswer, RecorderMoveReason, RoomRecording } from "./recording-state.ts";
import { checkAsked, checkDue, observeCheck, watchRecorder } from "./recorder-watch.ts";
import { afterExclusionConfirmed, exclusions, fail, onRecorderAnswer, record, setRecording, syncExclusions } from "./room-recording.ts";
import type { RoomTransition } from "./room-transition.ts";

/**
 * A recording outlives its recorder and follows its meeting (issue 13). Pure, like room-recording.ts:
 *  - The room checks the recorder holding the capture on its alarm (recorder-watch.ts); a recorder that is
 *    unreachable or no longer holds the capture, three checks in a row, is lost.
 *  - A lost recorder's capture, and the capture of a meeting moved to another SFU node, continue the SAME
 *    recording on a recorder of the pool (never the lost one) against the meeting's node: the new capture takes
 *    over the manifest in S3 (continuing: the recorder lists the span since its last write as lost), with the
 *    exclusion set as it is now and the recording's pause state.
 *  - While it moves, the indicator says since when nothing is captured; once it continues the gap is listed in
 *    the room's state and recorded among the recording's problems. If no recorder can take it, the recording
 *    fails with that reason (`recording.failed`), never a silent `capturing`.
 */

const holding = (recording: RoomRecording | null): recording is RoomRecording & { recorderId: string } =>
  !!recording?.recorderId && (recording.phase === "capturing" || recording.phase === "paused");

/** When the room should next check its recorder (null: nothing to check: no capture held, or it is moving). */
export function nextRecorderCheckAt(recording: RoomRecording | null): number | null {
  if (!holding(recording) || recording.moving) return null;
  return recording.watch ? recording.watch.nextCheckAt : 0;
}

/** On the room's alarm: a due check is asked; one asked and never answered counts as failed. */
export function checkRecorderOnTick(t: RoomTransition): void {
  const recording = t.state.recording;
  if (!holding(recording) || recording.moving) return;
  // A state stored before the watch existed starts watching now.
  if (!recording.watch) return setRecording(t, { ...recording, watch: watchRecorder(t.now) }, false);
  if (!checkDue(recording.watch, t.now)) return;
  if (recording.watch.asking) onRecorderChecked(t, recording.recorderId, false);
  const now = t.state.recording;
  if (!holding(now) || now.moving || !now.watch) return;
  setRecording(t, { ...now, watch: checkAsked(now.watch, t.now) }, false);
  t.effect({ kind: "recorder_check", recordingId: now.id, recorderId: now.recorderId });
}

/** Every recorder answer goes through here: a check's outcome, and the answers of a capture being moved. */
export function answerRecorder(t: RoomTransition, answer: RecorderAnswer): void {
  const recording = t.state.recording;
  if (!recording || recording.id !== answer.recordingId) return;
  if (answer.kind === "recorder_checked") return onRecorderChecked(t, answer.recorderId, answer.holdsCapture);
  if (recording.moving && answer.kind === "recorder_started") return onMoved(t, recording, answer);
  // A pause, resume or exclusion its recorder could not take because it is gone: the capture moves, with the
  // pause state and exclusion set as they are now, so what was asked still holds on the new recorder. About a
  // recorder the capture is already leaving, it changes nothing.
  if (answer.kind === "recorder_failed" && answer.lostRecorderId) {
    if (holding(recording) && !recording.moving && recording.recorderId === answer.lostRecorderId)
      move(t, "recorder_lost", new Date(recording.watch?.lastOkAt ?? t.now).toISOString());
    return;
  }
  if (recording.moving && answer.kind === "recorder_failed") return fail(t, recording, answer.reason);
  // Paused/resumed/excluded answers from the old recorder while moving change nothing the move does not redo.
  if (recording.moving && answer.kind !== "recorder_stopped") return;
  onRecorderAnswer(t, answer);
}

function onRecorderChecked(t: RoomTransition, recorderId: string, holdsCapture: boolean): void {
  const recording = t.state.recording;
  // An answer about a recorder the recording has left is stale.
  if (!holding(recording) || recording.moving || recording.recorderId !== recorderId) return;
  const seen = observeCheck(recording.watch ?? watchRecorder(t.now), holdsCapture, t.now);
  if (!seen.lost) return setRecording(t, { ...recording, watch: seen.watch }, false);
  move(t, "recorder_lost", new Date(seen.watch.lastOkAt).toISOString());
}

/** The meeting's media is on an SFU node after a move (off a node that failed at `failedAt`): the capture follows it. */
export function onMediaMoved(t: RoomTransition, nodeUrl: string, failedAt?: number): void {
  const recording = t.state.recording;
  if (!holding(recording)) return;
  // A move already asked for another node is moved again once it answers (`onMoved`).
  if (recording.moving) {
    if (!recording.moving.asked) askMove(t, nodeUrl);
    return;
  }
  move(t, "sfu_moved", new Date(Math.min(failedAt ?? t.now, t.now)).toISOString());
}

function move(t: RoomTransition, reason: RecorderMoveReason, since: string): void {
  const recording = t.state.recording;
  if (!holding(recording)) return;
  // Announced: every page is told nothing is captured since `since`.
  setRecording(t, { ...recording, moving: { reason, from: recording.recorderId, since, asked: null }, watch: undefined });
  const mode = t.state.mediaMode;
  // Off the SFU for now (its node failed and is being replaced): asked once the meeting is placed (`onMediaMoved`).
  if (mode.kind === "sfu") askMove(t, mode.url);
}

function askMove(t: RoomTransition, nodeUrl: string): void {
  const recording = t.state.recording;
  if (!holding(recording) || !recording.moving) return;
  const excluded = exclusions(t);
  setRecording(
    t,
    { ...recording, moving: { ...recording.moving, asked: nodeUrl }, requestedExcluded: excluded.map((e) => e.identity) },
    false,
  );
  t.effect({
    kind: "recorder_move",
    recordingId: recording.id,
    from: recording.moving.from,
    reason: recording.moving.reason,
    nodeUrl,
    layout: recording.layout,
    excluded,
    paused: recording.phase === "paused",
  });
}

function onMoved(t: RoomTransition, recording: RoomRecording, answer: Extract<RecorderAnswer, { kind: "recorder_started" }>): void {
  const moving = recording.moving!;
  const gap = { reason: moving.reason, from: moving.since, to: t.nowIso };
  const continued: RoomRecording = {
    ...recording,
    recorderId: answer.recorderId,
    confirmedExcluded: answer.excluded,
    moving: undefined,
    watch: watchRecorder(t.now),
    gaps: [...(recording.gaps ?? []), gap],
  };
  record(t, recording.id, "room", { change: "gap", ...gap, recorderId: answer.recorderId });
  if (recording.phase === "stopping") {
    setRecording(t, continued, false);
    t.effect({ kind: "recorder_command", recordingId: recording.id, recorderId: answer.recorderId, command: "stop" });
    return;
  }
  setRecording(t, continued);
  // Paused or resumed while it moved: the new capture is told now.
  const wantPaused = recording.phase === "paused";
  if (answer.paused !== undefined && answer.paused !== wantPaused)
    t.effect({
      kind: "recorder_command",
      recordingId: recording.id,
      recorderId: answer.recorderId,
      command: wantPaused ? "pause" : "resume",
    });
  afterExclusionConfirmed(t);
  syncExclusions(t);
  // The meeting moved node again while the capture was being moved: it follows once more.
  const mode = t.state.mediaMode;
  if (mode.kind === "sfu" && moving.asked !== null && mode.url !== moving.asked) move(t, "sfu_moved", t.nowIso);
}
