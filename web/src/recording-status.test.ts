import { describe, expect, it } from "vitest";
import { RecordingPhase, type RecordingIndicator } from "../../protocol/recording-indicator.ts";
import { person, recordingIndicator, replay, welcome } from "./room-fixtures.ts";
import { applyFrame, type RoomView } from "./room-view.ts";
import { notCapturedReason, recordingControls, recordingNotice, recordingStatus } from "./recording-status.ts";

const roster = [person("ada", "host"), person("bob")];
/** Bob's page (or Ada's, the host's) in a meeting whose recording is `recording`. */
const viewOf = (recording: RecordingIndicator | null, self: "ada" | "bob" = "bob", mediaMode: "p2p" | "sfu" = "sfu"): RoomView =>
  replay([welcome({ self: roster.find((p) => p.identity === self)!, roster, mediaMode, recording })]);
const indicator = recordingIndicator;

describe("recording status", () => {
  it("no recording, no indicator; every phase of a running one has its words and who started it", () => {
    expect(recordingStatus(viewOf(null))).toBeNull();
    const labels = RecordingPhase.options.map((phase) => recordingStatus(viewOf(indicator({ phase })))?.label);
    expect(labels).toEqual(["Starting recording…", "Recording", "Recording paused", "Saving recording…"]);
    expect(recordingStatus(viewOf(indicator()))?.startedBy).toBe("Started by ADA");
    expect(recordingStatus(viewOf(indicator(), "ada"))?.startedBy).toBe("Started by you");
  });

  it("the indicator follows recording_state frames and goes when the recording ends", () => {
    const frames = [
      indicator({ phase: "starting" }),
      indicator({ phase: "capturing" }),
      indicator({ phase: "paused" }),
      indicator({ phase: "stopping" }),
      null,
    ];
    let view = viewOf(null);
    const seen = frames.map((recording, i) => {
      view = applyFrame(view, { seq: i + 2, type: "recording_state", recording });
      return recordingStatus(view)?.label ?? null;
    });
    expect(seen).toEqual(["Starting recording…", "Recording", "Recording paused", "Saving recording…", null]);
  });

  it("while the capture moves to another recorder everyone is told nothing is captured; afterwards the missing seconds stay listed", () => {
    expect(recordingStatus(viewOf(indicator()))?.continuityNote).toBeNull();
    const moving = indicator({ interruptedSince: "2026-12-03T10:00:00.000Z" });
    expect(recordingStatus(viewOf(moving))?.continuityNote).toBe(
      "Recording interrupted: nothing is captured until it continues on another recorder",
    );
    const gaps = indicator({
      gaps: [
        { reason: "recorder_lost", from: "2026-12-03T10:00:00.000Z", to: "2026-12-03T10:00:05.200Z" },
        { reason: "sfu_moved", from: "2026-12-03T10:10:00.000Z", to: "2026-12-03T10:10:07.000Z" },
      ],
    });
    expect(recordingStatus(viewOf(gaps))?.continuityNote).toBe(
      "12 s missing from the recording (its recorder was lost, the call moved to another media server)",
    );
    const before = viewOf(indicator());
    const interrupted = applyFrame(before, { seq: 2, type: "recording_state", recording: moving });
    expect(recordingNotice(before, interrupted)).toBe("Recording interrupted: continuing on another recorder");
    const continued = applyFrame(interrupted, { seq: 3, type: "recording_state", recording: gaps });
    expect(recordingNotice(interrupted, continued)).toBe("Recording continues");
  });

  it("with consent required, a pending participant is prompted and told they are not recorded; the others are not", () => {
    const asking = indicator({ consentRequired: true, notCaptured: [{ identity: "bob", reason: "pending" }] });
    const bob = recordingStatus(viewOf(asking));
    expect([bob?.consentPrompt, bob?.selfNotCaptured, bob?.changeAnswer]).toEqual([true, "pending", null]);
    expect(bob?.selfNote).toBe("You are not being recorded until you agree");
    const ada = recordingStatus(viewOf(asking, "ada"));
    expect([ada?.consentPrompt, ada?.selfNote]).toEqual([false, null]);
  });

  it("after declining: no prompt, 'not being recorded', and the indicator offers to allow it again", () => {
    const declined = recordingStatus(viewOf(indicator({ consentRequired: true, notCaptured: [{ identity: "bob", reason: "declined" }] })));
    expect(declined?.consentPrompt).toBe(false);
    expect(declined?.selfNote).toBe("You are not being recorded: you declined");
    expect(declined?.changeAnswer).toEqual({ accept: true, label: "Allow recording me" });
  });

  it("after accepting (or with no consent asked) the indicator offers to stop recording me", () => {
    for (const consentRequired of [true, false]) {
      const status = recordingStatus(viewOf(indicator({ consentRequired })));
      expect([status?.consentPrompt, status?.selfNote, status?.changeAnswer]).toEqual([
        false,
        null,
        { accept: false, label: "Don't record me" },
      ]);
    }
  });

  it("excluded by a host: told so, no prompt and no answer to change", () => {
    const status = recordingStatus(
      viewOf(indicator({ consentRequired: true, notCaptured: [{ identity: "bob", reason: "excluded_by_host" }] })),
    );
    expect([status?.consentPrompt, status?.changeAnswer, status?.selfNote]).toEqual([
      false,
      null,
      "You are not being recorded: a host excluded you",
    ]);
  });

  it("while the recording is saved nobody is asked or offered a change (the room would refuse it)", () => {
    const status = recordingStatus(
      viewOf(indicator({ phase: "stopping", consentRequired: true, notCaptured: [{ identity: "bob", reason: "pending" }] })),
    );
    expect([status?.label, status?.consentPrompt, status?.changeAnswer]).toEqual(["Saving recording…", false, null]);
  });

  it("a recording started on a peer-to-peer call says the call moves through the media server", () => {
    const p2p = viewOf(null, "bob", "p2p");
    const starting = applyFrame(p2p, { seq: 2, type: "recording_state", recording: indicator({ phase: "starting" }) });
    expect(recordingStatus(starting)?.mediaNote).toBe("Moving the call through the media server so it can be recorded…");
    const moved = applyFrame(starting, { seq: 3, type: "media_mode", mode: "sfu" });
    expect(recordingStatus(moved)?.mediaNote).toBe("The call now goes through the media server so it can be recorded");
    expect(recordingNotice(p2p, starting)).toBe("ADA started recording; the call moves through the media server so it can be recorded");
    expect(recordingStatus(viewOf(indicator()))?.mediaNote).toBeNull();
  });

  it("notices: started, paused, resumed, stopped, and a recording that ended without being stopped", () => {
    const at = (phase: RecordingIndicator["phase"] | null) => viewOf(phase ? indicator({ phase }) : null, "ada");
    expect(recordingNotice(at(null), at("starting"))).toBe("You started recording");
    expect(recordingNotice(at("capturing"), at("paused"))).toBe("Recording paused");
    expect(recordingNotice(at("paused"), at("capturing"))).toBe("Recording resumed");
    expect(recordingNotice(at("capturing"), at("stopping"))).toBeNull();
    expect(recordingNotice(at("stopping"), at(null))).toBe("Recording stopped");
    expect(recordingNotice(at("starting"), at(null))).toBe("The recording could not start");
    expect(recordingNotice(at("capturing"), at(null))).toBe("The recording ended unexpectedly");
  });

  it("host controls: start when none runs; pause or resume and stop while one does; nothing for participants", () => {
    expect(recordingControls(viewOf(null, "ada"))).toEqual({ start: true, pauseOrResume: null, stop: false, exclude: false });
    expect(recordingControls(viewOf(indicator({ phase: "starting" }), "ada"))).toEqual({
      start: false,
      pauseOrResume: null,
      stop: true,
      exclude: true,
    });
    expect(recordingControls(viewOf(indicator(), "ada"))?.pauseOrResume).toBe("pause");
    expect(recordingControls(viewOf(indicator({ phase: "paused" }), "ada"))?.pauseOrResume).toBe("resume");
    expect(recordingControls(viewOf(indicator({ phase: "stopping" }), "ada"))).toEqual({
      start: false,
      pauseOrResume: null,
      stop: false,
      exclude: false,
    });
    expect(recordingControls(viewOf(indicator(), "bob"))).toBeNull();
  });

  it("the roster learns who is not captured and why", () => {
    const view = viewOf(indicator({ notCaptured: [{ identity: "bob", reason: "excluded_by_host" }] }), "ada");
    expect([notCapturedReason(view, "bob"), notCapturedReason(view, "ada")]).toEqual(["excluded_by_host", null]);
  });
});
