import type { ServerFrame } from "../../../protocol/server-frames.ts";
import type { RecorderAnswer } from "./recording-state.ts";
import { reduce } from "./room-reducer.ts";
import { createRoomState, type Participant, type RoomEvent, type RoomState } from "./room-state.ts";
import type { RoomEffect } from "./room-transition.ts";

/** Test support for the recording rules: a room driven through the real reducer, and its people. */

export const recordingId = "7b0c0e1e-3c55-4bb4-9d8e-4e4b7bd3b9f1";

export const person = (identity: string, role: Participant["role"] = "participant"): Participant => ({
  identity,
  role,
  tokenId: `t-${identity}`,
  tokenExpiresAt: new Date(9e12),
});

/**
 * Every frame and effect in the order the reducer made them, so "told before captured" can be checked. The clock
 * moves 1 ms per event unless `clock: "alarms"`, where only `alarm()` moves it (to when the room asked to be woken).
 */
export class RecordingRoom {
  state: RoomState = createRoomState("m1", { waitingRoom: false, sfuThreshold: 5 }, "tenant");
  log: Array<{ frame: ServerFrame } | { effect: RoomEffect }> = [];
  now = 1000;
  nextAlarmAt: number | null = null;

  constructor(private readonly clock: "per_event" | "alarms" = "per_event") {}

  dispatch(event: RoomEvent) {
    const result = reduce(this.state, event, this.clock === "per_event" ? this.now++ : this.now);
    this.state = result.state;
    this.nextAlarmAt = result.nextAlarmAt;
    for (const effect of result.effects) this.log.push(effect.kind === "deliver" ? { frame: effect.frame } : { effect });
    return result;
  }
  join(who: Participant) {
    return this.dispatch({ kind: "hello", participant: who, frame: { id: "h", type: "hello", protocolVersion: 1 }, iceServers: [] });
  }
  answer(answer: RecorderAnswer) {
    return this.dispatch({ kind: "recorder", answer });
  }
  /** The alarm as the shell runs it: time moves to when it is due, and the room ticks. */
  alarm() {
    this.now = Math.max(this.now, this.nextAlarmAt ?? this.now);
    return this.dispatch({ kind: "tick" });
  }
  effects<K extends RoomEffect["kind"]>(kind: K) {
    return this.log.flatMap((e) => ("effect" in e && e.effect.kind === kind ? [e.effect as Extract<RoomEffect, { kind: K }>] : []));
  }
  frames<K extends ServerFrame["type"]>(type: K) {
    return this.log.flatMap((e) => ("frame" in e && e.frame.type === type ? [e.frame as Extract<ServerFrame, { type: K }>] : []));
  }
}
