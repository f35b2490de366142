import type { MeetingId, ParticipantIdentity, TenantId } from "../../../protocol/ids.ts";
import { meetingMediaRoom } from "../../../media-fleet/meeting-media-room.ts";
import { MediaFleetError } from "../../../media-fleet/errors.ts";
import type { Exclusion, Recorder, StartCapture } from "../../../media-fleet/recording/recorder.ts";
import type { RecorderAnswer, RecorderEffect } from "../core/recording-state.ts";
import type { RoomEvent, RoomState } from "../core/room-state.ts";

/** Attempts per recorder call before the room gives up on the recording (a pause or exclusion must not be ignored). */
const attempts = 3;
const backoffMs = (attempt: number) => 250 * 2 ** attempt;
/** A check of a recorder that does not answer in time has failed (the default call timeout is far longer). */
const checkTimeoutMs = 5_000;
/** Stopping the old capture before a move: briefly for a lost recorder, long enough for a live one's last uploads. */
const lostStopTimeoutMs = 5_000;
const movedStopTimeoutMs = 60_000;

const within = <T>(ms: number, work: Promise<T>): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    work.then(resolve, reject).finally(() => clearTimeout(timer));
  });

/**
 * Carries out the room's recorder effects (core/room-recording.ts) on the recorder pool and reports back as
 * room events. A call that keeps failing fails the recording: a pause or an exclusion the recorder did not take
 * must not leave someone captured who was told they are not. In that case the recorder is also told to stop.
 */
export class RoomRecorder {
  constructor(
    private readonly recorder: Recorder,
    private readonly dispatch: (event: RoomEvent) => Promise<void>,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  async run(effect: RecorderEffect, room: { tenantId: string; state: RoomState }): Promise<void> {
    switch (effect.kind) {
      case "new_recording": {
        const { by, layout, consentRequired } = effect;
        const request = { action: "start" as const, recordingId: crypto.randomUUID(), by, layout, consentRequired };
        return this.dispatch({ kind: "recording_command", request });
      }
      case "recorder_start":
        return this.answer(effect.recordingId, async () => {
          const status = await this.recorder.start(captureOf(room, effect.recordingId, effect));
          return {
            kind: "recorder_started",
            recordingId: effect.recordingId,
            recorderId: status.recorderId,
            excluded: status.excluded.map((e) => e.identity),
          };
        });
      case "recorder_exclude":
        return this.answer(
          effect.recordingId,
          async () => {
            const status = await this.recorder.exclude(effect.recorderId, effect.recordingId, exclusionsOf(effect.excluded));
            return { kind: "recorder_excluded", recordingId: effect.recordingId, excluded: status.excluded.map((e) => e.identity) };
          },
          effect.recorderId,
        );
      case "recorder_command": {
        const { recorderId, recordingId, command } = effect;
        return this.answer(
          recordingId,
          async (): Promise<RecorderAnswer> => {
            if (command === "pause") {
              await this.recorder.pause(recorderId, recordingId);
              return { kind: "recorder_paused", recordingId };
            }
            if (command === "resume") {
              await this.recorder.resume(recorderId, recordingId);
              return { kind: "recorder_resumed", recordingId };
            }
            const stopped = await this.recorder.stop(recorderId, recordingId);
            return { kind: "recorder_stopped", recordingId, manifestKey: stopped.manifestKey, endedAt: new Date().toISOString() };
          },
          command === "stop" ? undefined : recorderId,
        );
      }
      case "recorder_check": {
        // No retries: the room's watch (core/recorder-watch.ts) counts failures and asks again.
        const { recorderId, recordingId } = effect;
        const holdsCapture = await within(checkTimeoutMs, this.recorder.status(recorderId, recordingId)).then(
          (status) => status.state !== "stopped",
          () => false,
        );
        return this.dispatch({ kind: "recorder", answer: { kind: "recorder_checked", recordingId, recorderId, holdsCapture } });
      }
      case "recorder_move": {
        const { recordingId, from, reason } = effect;
        // The old capture stops first, so its manifest is final before the new capture takes it over. A lost
        // recorder may not answer at all (or may be cut off but alive: stopping it keeps it from writing on).
        await within(reason === "recorder_lost" ? lostStopTimeoutMs : movedStopTimeoutMs, this.recorder.stop(from, recordingId)).catch(
          () => undefined,
        );
        return this.answer(
          recordingId,
          async () => {
            const status = await this.recorder.start({
              ...captureOf(room, recordingId, effect),
              continuing: true,
              paused: effect.paused,
              avoid: reason === "recorder_lost" ? [from] : [],
            });
            return {
              kind: "recorder_started",
              recordingId,
              recorderId: status.recorderId,
              excluded: status.excluded.map((e) => e.identity),
              paused: status.state === "paused",
            };
          },
          undefined,
          reason === "recorder_lost"
            ? "recorder lost and no other recorder could continue the capture"
            : "no recorder could follow the meeting to its new media server",
        );
      }
      default:
        return effect satisfies never;
    }
  }

  /** Runs a call with retries and dispatches its answer, or the recording's failure (stopping the recorder then). */
  private async answer(
    recordingId: string,
    call: () => Promise<RecorderAnswer>,
    stopOnFailure?: string,
    failure = "recorder",
  ): Promise<void> {
    let lastError: unknown;
    for (let attempt = 0; attempt < attempts; attempt++) {
      let answer: RecorderAnswer;
      try {
        answer = await call();
      } catch (error) {
        lastError = error;
        if (attempt < attempts - 1) await this.sleep(backoffMs(attempt));
        continue;
      }
      return this.dispatch({ kind: "recorder", answer });
    }
    if (stopOnFailure) await this.recorder.stop(stopOnFailure, recordingId).catch(() => undefined);
    const reason =
      lastError instanceof Error ? `${failure}: ${"code" in lastError ? String(lastError.code) : lastError.name}` : `${failure}: failed`;
    // A recorder that is gone is the room's to replace (core/recording-continuity.ts), not a reason to give up.
    const gone =
      lastError instanceof MediaFleetError && (lastError.code === "node_unreachable" || lastError.code === "recording_not_found");
    const lostRecorderId = gone ? stopOnFailure : undefined;
    await this.dispatch({ kind: "recorder", answer: { kind: "recorder_failed", recordingId, reason, lostRecorderId } });
  }
}

/** What a capture of this meeting's media needs, for a first start and for a continuation alike. */
function captureOf(
  room: { tenantId: string; state: RoomState },
  recordingId: string,
  effect: { nodeUrl: string; excluded: ReadonlyArray<{ identity: string; reason: Exclusion["reason"] }>; layout: StartCapture["layout"] },
): StartCapture {
  return {
    recordingId,
    tenantId: room.tenantId as TenantId,
    meetingId: room.state.meetingId as MeetingId,
    room: meetingMediaRoom(room.tenantId, room.state.meetingId),
    nodeUrl: effect.nodeUrl,
    excluded: exclusionsOf(effect.excluded),
    layout: effect.layout,
  };
}

const exclusionsOf = (excluded: ReadonlyArray<{ identity: string; reason: Exclusion["reason"] }>): Exclusion[] =>
  excluded.map((e) => ({ identity: e.identity as ParticipantIdentity, reason: e.reason }));
