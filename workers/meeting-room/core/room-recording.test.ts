import { describe, expect, it } from "vitest";
import { person, RecordingRoom, recordingId as rid } from "./recording-room-fixture.ts";
import { recordingRefusal } from "./room-recording.ts";

class Room extends RecordingRoom {
  frame(id: string, frame: Record<string, unknown>, identity = "host") {
    return this.dispatch({ kind: "frame", identity, frame: { id, ...frame } as never });
  }
  start(consentRequired?: boolean) {
    return this.dispatch({
      kind: "recording_command",
      request: { action: "start", recordingId: rid, by: "api", layout: "grid", consentRequired },
    });
  }
  indexOf(predicate: (entry: Room["log"][number]) => boolean) {
    return this.log.findIndex(predicate);
  }
}

function onSfu(room = new Room()) {
  room.join(person("host", "host"));
  room.join(person("ada"));
  room.start();
  room.dispatch({ kind: "media_placed", nodeId: "node-a", url: "ws://node-a" });
  return room;
}

describe("starting", () => {
  it("moves a peer-to-peer meeting to the SFU, tells everyone, and only then asks the recorder", () => {
    const room = onSfu();
    const told = room.indexOf((e) => "frame" in e && e.frame.type === "recording_state");
    const placed = room.indexOf((e) => "effect" in e && e.effect.kind === "place_media");
    const asked = room.indexOf((e) => "effect" in e && e.effect.kind === "recorder_start");
    expect(told).toBeGreaterThanOrEqual(0);
    expect(placed).toBeGreaterThan(told);
    expect(asked).toBeGreaterThan(told);
    expect(room.effects("recorder_start")[0]).toMatchObject({ recordingId: rid, nodeUrl: "ws://node-a", excluded: [] });
    expect(room.effects("record_recording")[0]).toMatchObject({ change: "started", recordingId: rid, by: "api" });
    room.answer({ kind: "recorder_started", recordingId: rid, recorderId: "rec-1", excluded: [] });
    expect(room.state.recording?.phase).toBe("capturing");
    expect(room.frames("recording_state").at(-1)?.recording).toMatchObject({ phase: "capturing", notCaptured: [] });
  });

  it("gives later joiners the indicator in their welcome", () => {
    const room = onSfu();
    room.join(person("bob"));
    expect(room.frames("welcome").at(-1)?.recording).toMatchObject({ recordingId: rid, phase: "starting" });
  });

  it("refuses a second recording, an empty meeting, and commands for another recording", () => {
    const room = onSfu();
    expect(recordingRefusal(room, { action: "start", recordingId: crypto.randomUUID(), by: "api", layout: "grid" })).toBe(
      "recording_in_progress",
    );
    expect(recordingRefusal(room, { action: "pause", recordingId: crypto.randomUUID(), by: "api" })).toBe("recording_not_active");
    expect(recordingRefusal(new Room(), { action: "start", recordingId: rid, by: "api", layout: "grid" })).toBe("meeting_not_live");
  });

  it("fails the recording when the meeting cannot be placed on the SFU", () => {
    const room = new Room();
    room.join(person("host", "host"));
    room.start();
    room.dispatch({ kind: "media_placement_failed", reason: "no_healthy_node" });
    expect(room.state.recording).toBeNull();
    expect(room.effects("record_recording").at(-1)).toMatchObject({ change: "failed" });
    expect(room.frames("recording_state").at(-1)?.recording).toBeNull();
  });
});

describe("pause, resume, stop", () => {
  it("pauses and resumes the recorder and records both; stop waits for the manifest", () => {
    const room = onSfu();
    room.answer({ kind: "recorder_started", recordingId: rid, recorderId: "rec-1", excluded: [] });
    room.dispatch({ kind: "recording_command", request: { action: "pause", recordingId: rid, by: "api" } });
    expect(room.state.recording?.phase).toBe("paused");
    expect(room.effects("recorder_command").at(-1)).toMatchObject({ command: "pause", recorderId: "rec-1" });
    room.dispatch({ kind: "recording_command", request: { action: "resume", recordingId: rid, by: "api" } });
    expect(room.state.recording?.phase).toBe("capturing");
    room.dispatch({ kind: "recording_command", request: { action: "stop", recordingId: rid, by: "api" } });
    expect(room.state.recording?.phase).toBe("stopping");
    room.answer({
      kind: "recorder_stopped",
      recordingId: rid,
      manifestKey: "recordings/t/r/manifest.json",
      endedAt: "2026-12-03T12:00:00Z",
    });
    expect(room.state.recording).toBeNull();
    expect(room.effects("record_recording").map((e) => e.change)).toEqual(["started", "paused", "resumed", "stopped"]);
    expect(room.effects("record_recording").at(-1)).toMatchObject({ manifestKey: "recordings/t/r/manifest.json", by: "api" });
  });

  it("a stop before the recorder answered the start stops it when it does", () => {
    const room = onSfu();
    room.dispatch({ kind: "recording_command", request: { action: "stop", recordingId: rid, by: "api" } });
    expect(room.effects("recorder_command")).toHaveLength(0);
    room.answer({ kind: "recorder_started", recordingId: rid, recorderId: "rec-1", excluded: [] });
    expect(room.effects("recorder_command").at(-1)).toMatchObject({ command: "stop", recorderId: "rec-1" });
  });

  it("stops with the meeting, and when the last participant leaves", () => {
    const ended = onSfu();
    ended.answer({ kind: "recorder_started", recordingId: rid, recorderId: "rec-1", excluded: [] });
    ended.dispatch({ kind: "end", reason: "api" });
    expect(ended.effects("recorder_command").at(-1)).toMatchObject({ command: "stop" });
    // The manifest arrives after the end and is still recorded.
    ended.answer({ kind: "recorder_stopped", recordingId: rid, manifestKey: "k", endedAt: "2026-12-03T12:00:00Z" });
    expect(ended.effects("record_recording").at(-1)).toMatchObject({ change: "stopped" });

    const emptied = onSfu();
    emptied.answer({ kind: "recorder_started", recordingId: rid, recorderId: "rec-1", excluded: [] });
    emptied.dispatch({ kind: "disconnected", identity: "ada", clean: true });
    expect(emptied.effects("recorder_command")).toHaveLength(0);
    emptied.dispatch({ kind: "disconnected", identity: "host", clean: true });
    expect(emptied.effects("recorder_command").at(-1)).toMatchObject({ command: "stop" });
  });

  it("a recorder that keeps failing fails the recording", () => {
    const room = onSfu();
    room.answer({ kind: "recorder_failed", recordingId: rid, reason: "recorder: node_unreachable" });
    expect(room.state.recording).toBeNull();
    expect(room.effects("record_recording").at(-1)).toMatchObject({ change: "failed", reason: "recorder: node_unreachable" });
  });
});

describe("consent and exclusion", () => {
  it("with consent required, nobody is captured before accepting; a decline is sent to the recorder", () => {
    const room = new Room();
    room.join(person("host", "host"));
    room.join(person("ada"));
    room.start(true);
    room.dispatch({ kind: "media_placed", nodeId: "node-a", url: "ws://node-a" });
    expect(room.effects("recorder_start")[0]?.excluded.map((e) => e.identity)).toEqual(["ada", "host"]);
    room.answer({ kind: "recorder_started", recordingId: rid, recorderId: "rec-1", excluded: ["ada", "host"] });
    expect(room.frames("recording_state").at(-1)?.recording?.notCaptured).toEqual([
      { identity: "ada", reason: "pending" },
      { identity: "host", reason: "pending" },
    ]);
    room.frame("c1", { type: "recording_consent", accept: true }, "ada");
    expect(
      room
        .effects("recorder_exclude")
        .at(-1)
        ?.excluded.map((e) => e.identity),
    ).toEqual(["host"]);
    room.frame("c2", { type: "recording_consent", accept: false }, "ada");
    expect(room.effects("recorder_exclude").at(-1)?.excluded).toEqual([
      { identity: "ada", reason: "declined" },
      { identity: "host", reason: "declined" },
    ]);
  });

  it("holds a consent-required joiner's SFU credentials until the recorder confirmed they are excluded", () => {
    const room = new Room();
    room.join(person("host", "host"));
    room.start(true);
    room.dispatch({ kind: "media_placed", nodeId: "node-a", url: "ws://node-a" });
    room.answer({ kind: "recorder_started", recordingId: rid, recorderId: "rec-1", excluded: ["host"] });
    const grantsBefore = room.effects("grant_sfu").length;
    room.join(person("late"));
    expect(room.effects("grant_sfu")).toHaveLength(grantsBefore);
    expect(
      room
        .effects("recorder_exclude")
        .at(-1)
        ?.excluded.map((e) => e.identity),
    ).toEqual(["host", "late"]);
    room.answer({ kind: "recorder_excluded", recordingId: rid, excluded: ["host", "late"] });
    expect(room.effects("grant_sfu").at(-1)).toMatchObject({ identities: ["late"] });
  });

  it("a host excludes someone; a cohost may not exclude the host; a participant may not record", () => {
    const room = onSfu();
    room.join(person("co", "cohost"));
    room.answer({ kind: "recorder_started", recordingId: rid, recorderId: "rec-1", excluded: [] });
    room.frame("x1", { type: "recording_exclude", target: "ada", excluded: true });
    expect(room.effects("recorder_exclude").at(-1)?.excluded).toEqual([{ identity: "ada", reason: "excluded_by_host" }]);
    room.frame("x2", { type: "recording_exclude", target: "host", excluded: true }, "co");
    expect(room.frames("error").at(-1)).toMatchObject({ code: "forbidden", ref: "x2" });
    room.frame("x3", { type: "recording", action: "stop" }, "ada");
    expect(room.frames("error").at(-1)).toMatchObject({ code: "forbidden", ref: "x3" });
  });

  it("a host's start from the page asks the shell for a fresh recording id", () => {
    const room = new Room();
    room.join(person("host", "host"));
    room.frame("r1", { type: "recording", action: "start", layout: "speaker" });
    expect(room.effects("new_recording")).toEqual([{ kind: "new_recording", by: "host", layout: "speaker" }]);
  });

  it("an auto-recorded meeting starts recording at its first arrival", () => {
    const room = new Room();
    room.state = { ...room.state, settings: { ...room.state.settings, autoRecord: true } };
    room.join(person("host", "host"));
    expect(room.effects("new_recording")).toEqual([{ kind: "new_recording", by: "auto", layout: "grid" }]);
    room.join(person("ada"));
    expect(room.effects("new_recording")).toHaveLength(1);
  });
});
