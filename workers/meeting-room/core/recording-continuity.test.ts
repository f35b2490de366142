import { describe, expect, it } from "vitest";
import { person, RecordingRoom, recordingId as rid } from "./recording-room-fixture.ts";
import { recorderCheckEveryMs, recorderRecheckAfterFailureMs } from "./recorder-watch.ts";

/** Time moves only with the room's alarm, the way the shell runs it. */
class Room extends RecordingRoom {
  constructor() {
    super("alarms");
  }
  indicators() {
    return this.frames("recording_state").map((frame) => frame.recording);
  }
  /** Runs alarms until the room asks for a recorder check, then answers it. */
  check(holdsCapture: boolean) {
    const asked = this.effects("recorder_check").length;
    for (let i = 0; i < 10 && this.effects("recorder_check").length === asked; i++) this.alarm();
    const check = this.effects("recorder_check").at(-1)!;
    this.answer({ kind: "recorder_checked", recordingId: rid, recorderId: check.recorderId, holdsCapture });
    return check;
  }
}

/** A meeting on node A, recorded by rec-1. */
function recording() {
  const room = new Room();
  room.dispatch({
    kind: "hello",
    participant: person("host", "host"),
    frame: { id: "h", type: "hello", protocolVersion: 1 },
    iceServers: [],
  });
  room.dispatch({ kind: "hello", participant: person("ada"), frame: { id: "h", type: "hello", protocolVersion: 1 }, iceServers: [] });
  room.dispatch({ kind: "recording_command", request: { action: "start", recordingId: rid, by: "api", layout: "grid" } });
  room.dispatch({ kind: "media_placed", nodeId: "node-a", url: "ws://node-a" });
  room.answer({ kind: "recorder_started", recordingId: rid, recorderId: "rec-1", excluded: [] });
  return room;
}

function lose(room: Room) {
  for (let i = 0; i < 3; i++) room.check(false);
}

describe("noticing a lost recorder", () => {
  it("checks the recorder on the room's alarm every few seconds while capturing", () => {
    const room = recording();
    expect(room.nextAlarmAt).toBeLessThanOrEqual(room.now + recorderCheckEveryMs);
    const check = room.check(true);
    expect(check).toEqual({ kind: "recorder_check", recordingId: rid, recorderId: "rec-1" });
    room.check(true);
    expect(room.effects("recorder_check")).toHaveLength(2);
    expect(room.effects("recorder_move")).toHaveLength(0);
  });

  it("a failed check is asked again sooner, and a good one clears the count", () => {
    const room = recording();
    room.check(false);
    expect(room.state.recording?.watch?.nextCheckAt).toBe(room.now + recorderRecheckAfterFailureMs);
    room.check(false);
    room.check(true);
    room.check(false);
    room.check(false);
    expect(room.effects("recorder_move")).toHaveLength(0);
    expect(room.state.recording?.moving).toBeUndefined();
  });

  it("a check never answered counts as failed", () => {
    const room = recording();
    for (let i = 0; i < 30 && !room.effects("recorder_move").length; i++) room.alarm();
    expect(room.effects("recorder_check").length).toBeGreaterThanOrEqual(3);
    expect(room.effects("recorder_move")).toHaveLength(1);
  });

  it("ignores checks about a recorder the recording has left", () => {
    const room = recording();
    lose(room);
    room.answer({ kind: "recorder_started", recordingId: rid, recorderId: "rec-2", excluded: [], paused: false });
    room.answer({ kind: "recorder_checked", recordingId: rid, recorderId: "rec-1", holdsCapture: false });
    room.answer({ kind: "recorder_checked", recordingId: rid, recorderId: "rec-1", holdsCapture: false });
    room.answer({ kind: "recorder_checked", recordingId: rid, recorderId: "rec-1", holdsCapture: false });
    expect(room.effects("recorder_move")).toHaveLength(1);
  });
});

describe("continuing on another recorder", () => {
  it("after three failed checks the same recording moves to another recorder, and the page says so", () => {
    const room = recording();
    lose(room);
    expect(room.effects("recorder_move")).toEqual([
      {
        kind: "recorder_move",
        recordingId: rid,
        from: "rec-1",
        reason: "recorder_lost",
        nodeUrl: "ws://node-a",
        layout: "grid",
        excluded: [],
        paused: false,
      },
    ]);
    expect(room.state.recording?.phase).toBe("capturing");
    expect(room.indicators().at(-1)).toMatchObject({ recordingId: rid, interruptedSince: expect.any(String) });
    // No more checks while it moves.
    const checks = room.effects("recorder_check").length;
    room.alarm();
    expect(room.effects("recorder_check")).toHaveLength(checks);

    room.now += 2_000;
    room.answer({ kind: "recorder_started", recordingId: rid, recorderId: "rec-2", excluded: [], paused: false });
    const indicator = room.indicators().at(-1)!;
    expect(indicator.interruptedSince).toBeUndefined();
    expect(indicator.gaps).toEqual([{ reason: "recorder_lost", from: expect.any(String), to: new Date(room.now).toISOString() }]);
    expect(room.state.recording).toMatchObject({ recorderId: "rec-2", moving: undefined });
    expect(room.effects("record_recording").at(-1)).toMatchObject({ change: "gap", reason: "recorder_lost", recorderId: "rec-2" });
    // Watched again, at its new recorder.
    expect(room.check(true).recorderId).toBe("rec-2");
  });

  it("the gap starts at the last good check", () => {
    const room = recording();
    room.check(true);
    const lastOk = room.now;
    lose(room);
    expect(room.state.recording?.moving?.since).toBe(new Date(lastOk).toISOString());
  });

  it("keeps the paused state and the exclusions: a pause during the move is sent to the new recorder", () => {
    const room = recording();
    room.dispatch({
      kind: "frame",
      identity: "host",
      frame: { id: "x", type: "recording_exclude", target: "ada", excluded: true } as never,
    });
    room.answer({ kind: "recorder_excluded", recordingId: rid, excluded: ["ada"] });
    lose(room);
    expect(room.effects("recorder_move").at(-1)).toMatchObject({
      excluded: [{ identity: "ada", reason: "excluded_by_host" }],
      paused: false,
    });
    const commands = room.effects("recorder_command").length;
    room.dispatch({ kind: "recording_command", request: { action: "pause", recordingId: rid, by: "api" } });
    // Nothing goes to the lost recorder.
    expect(room.effects("recorder_command")).toHaveLength(commands);
    room.answer({ kind: "recorder_started", recordingId: rid, recorderId: "rec-2", excluded: ["ada"], paused: false });
    expect(room.effects("recorder_command").at(-1)).toEqual({
      kind: "recorder_command",
      recordingId: rid,
      recorderId: "rec-2",
      command: "pause",
    });
    expect(room.state.recording?.phase).toBe("paused");
  });

  it("a paused recording continues paused", () => {
    const room = recording();
    room.dispatch({ kind: "recording_command", request: { action: "pause", recordingId: rid, by: "api" } });
    lose(room);
    expect(room.effects("recorder_move").at(-1)).toMatchObject({ paused: true });
  });

  it("a stop during the move stops the new recorder once it answers", () => {
    const room = recording();
    lose(room);
    room.dispatch({ kind: "recording_command", request: { action: "stop", recordingId: rid, by: "api" } });
    expect(room.effects("recorder_command")).toHaveLength(0);
    room.answer({ kind: "recorder_started", recordingId: rid, recorderId: "rec-2", excluded: [], paused: false });
    expect(room.effects("recorder_command").at(-1)).toMatchObject({ command: "stop", recorderId: "rec-2" });
  });

  it("a pause its recorder could not take because it is gone moves the capture, paused, instead of failing", () => {
    const room = recording();
    room.dispatch({ kind: "recording_command", request: { action: "pause", recordingId: rid, by: "api" } });
    room.answer({ kind: "recorder_failed", recordingId: rid, reason: "recorder: node_unreachable", lostRecorderId: "rec-1" });
    expect(room.state.recording).toMatchObject({ phase: "paused", moving: { reason: "recorder_lost", from: "rec-1" } });
    expect(room.effects("recorder_move").at(-1)).toMatchObject({ from: "rec-1", paused: true });
    // A second command's failure about the same recorder, while it moves, changes nothing.
    room.answer({ kind: "recorder_failed", recordingId: rid, reason: "recorder: node_unreachable", lostRecorderId: "rec-1" });
    expect(room.state.recording?.moving).toBeDefined();
    expect(room.effects("recorder_move")).toHaveLength(1);
    // A failure that does not say the recorder is gone still fails the recording.
    const other = recording();
    other.answer({ kind: "recorder_failed", recordingId: rid, reason: "recorder: recorder_error" });
    expect(other.state.recording).toBeNull();
  });

  it("with no recorder left the recording fails and says why", () => {
    const room = recording();
    lose(room);
    room.answer({
      kind: "recorder_failed",
      recordingId: rid,
      reason: "recorder lost and no other recorder could continue the capture: node_unreachable",
    });
    expect(room.state.recording).toBeNull();
    expect(room.indicators().at(-1)).toBeNull();
    expect(room.effects("record_recording").at(-1)).toMatchObject({
      change: "failed",
      reason: "recorder lost and no other recorder could continue the capture: node_unreachable",
    });
  });
});

describe("following the meeting to another SFU node", () => {
  it("a meeting moved to node B moves its capture there, the lost-recorder path with the same recorder allowed", () => {
    const room = recording();
    const failedAt = room.now - 4_000;
    room.state = { ...room.state, mediaMode: { kind: "placing", excludeNodeId: "node-a", failedAt } };
    room.dispatch({ kind: "media_placed", nodeId: "node-b", url: "ws://node-b" });
    // The gap starts when the node failed, not when the meeting landed elsewhere.
    expect(room.state.recording?.moving?.since).toBe(new Date(failedAt).toISOString());
    expect(room.effects("recorder_move")).toEqual([
      {
        kind: "recorder_move",
        recordingId: rid,
        from: "rec-1",
        reason: "sfu_moved",
        nodeUrl: "ws://node-b",
        layout: "grid",
        excluded: [],
        paused: false,
      },
    ]);
    room.answer({ kind: "recorder_started", recordingId: rid, recorderId: "rec-1", excluded: [], paused: false });
    expect(room.state.recording?.gaps).toEqual([{ reason: "sfu_moved", from: expect.any(String), to: expect.any(String) }]);
  });

  it("a recorder lost while the meeting has no node is moved once it is placed", () => {
    const room = recording();
    room.state = { ...room.state, mediaMode: { kind: "placing", excludeNodeId: "node-a" } };
    lose(room);
    expect(room.effects("recorder_move")).toHaveLength(0);
    room.dispatch({ kind: "media_placed", nodeId: "node-b", url: "ws://node-b" });
    expect(room.effects("recorder_move")).toEqual([expect.objectContaining({ reason: "recorder_lost", nodeUrl: "ws://node-b" })]);
  });

  it("a meeting that moves again while the capture is moving is followed once the capture answers", () => {
    const room = recording();
    lose(room);
    room.state = { ...room.state, mediaMode: { kind: "placing", excludeNodeId: "node-a" } };
    room.dispatch({ kind: "media_placed", nodeId: "node-b", url: "ws://node-b" });
    expect(room.effects("recorder_move")).toHaveLength(1);
    room.answer({ kind: "recorder_started", recordingId: rid, recorderId: "rec-2", excluded: [], paused: false });
    expect(room.effects("recorder_move").at(-1)).toMatchObject({ reason: "sfu_moved", from: "rec-2", nodeUrl: "ws://node-b" });
  });
});
