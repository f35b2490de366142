import type { MeetingId, ParticipantIdentity, TenantId } from "../../../protocol/ids.ts";
import { meetingMediaRoom } from "../../../media-fleet/meeting-media-room.ts";
import type { Exclusion, Recorder } from "../../../media-fleet/recording/recorder.ts";
import type { RecorderAnswer, RecorderEffect } from "../core/recording-state.ts";
import type { RoomEvent, RoomState } from "../core/room-state.ts";

/** Attempts per recorder call before the room gives up on the recording (a pause or exclusion must not be ignored). */
const attempts = 3;
const backoffMs = (attempt: number) => 250 * 2 ** attempt;

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
          const status = await this.recorder.start({
            recordingId: effect.recordingId,
            tenantId: room.tenantId as TenantId,
            meetingId: room.state.meetingId as MeetingId,
            room: meetingMediaRoom(room.tenantId, room.state.meetingId),
            nodeUrl: effect.nodeUrl,
            excluded: exclusionsOf(effect.excluded),
            layout: effect.layout,
          });
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
      default:
        return effect satisfies never;
    }
  }

  /** Runs a call with retries and dispatches its answer, or the recording's failure (stopping the recorder then). */
  private async answer(recordingId: string, call: () => Promise<RecorderAnswer>, stopOnFailure?: string): Promise<void> {
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
      lastError instanceof Error ? `recorder: ${"code" in lastError ? String(lastError.code) : lastError.name}` : "recorder failed";
    await this.dispatch({ kind: "recorder", answer: { kind: "recorder_failed", recordingId, reason } });
  }
}

const exclusionsOf = (excluded: ReadonlyArray<{ identity: string; reason: Exclusion["reason"] }>): Exclusion[] =>
  excluded.map((e) => ({ identity: e.identity as ParticipantIdentity, reason: e.reason }));
