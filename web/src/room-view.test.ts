import { describe, expect, it } from "vitest";
import type { ChatMessage } from "../../protocol/server-frames.ts";
import { person, recordingIndicator, replay, welcome } from "./room-fixtures.ts";
import { applyFrame, isModerator, nameOf } from "./room-view.ts";

const message = (seq: number, body: string, sender = "bob"): ChatMessage => ({
  seq,
  clientMessageId: `client-${seq}`,
  sender,
  body,
  attachments: [],
  reactions: {},
  sentAt: "2026-11-24T10:01:00.000Z",
  editedAt: null,
  deleted: false,
});

describe("room view", () => {
  it("a welcome puts us in the meeting with its roster, lobby, chat and ICE servers", () => {
    const view = replay([
      welcome({ lobby: [{ identity: "eve", waitingSince: "2026-11-24T10:00:00.000Z" }], recentChat: [message(1, "hi")] }),
    ]);
    expect(view.phase).toBe("in_meeting");
    expect(view.roster.map((entry) => entry.identity)).toEqual(["ada"]);
    expect(view.lobby).toHaveLength(1);
    expect(view.chat.map((entry) => entry.body)).toEqual(["hi"]);
    expect(view.iceServers[0]?.urls).toEqual(["turn:127.0.0.1:3478"]);
    expect(isModerator(view)).toBe(true);
  });

  it("keeps the roster in join order through joins, updates and departures", () => {
    const view = replay([
      welcome(),
      { seq: 2, type: "participant_joined", participant: person("cy", "participant", "2026-11-24T10:02:00.000Z") },
      { seq: 3, type: "participant_joined", participant: person("bob", "participant", "2026-11-24T10:01:00.000Z") },
      {
        seq: 4,
        type: "participant_updated",
        participant: { ...person("bob", "participant", "2026-11-24T10:01:00.000Z"), handRaised: true },
      },
      { seq: 5, type: "participant_left", identity: "cy", reason: "left" },
    ]);
    expect(view.roster.map((entry) => entry.identity)).toEqual(["ada", "bob"]);
    expect(view.roster[1]?.handRaised).toBe(true);
    expect(nameOf(view, "bob")).toBe("BOB");
    expect(nameOf(view, "ada")).toBe("you");
  });

  it("an update to ourselves changes our role, so host controls follow a demotion", () => {
    const view = replay([
      welcome({ self: person("ada", "cohost"), roster: [person("ada", "cohost")] }),
      { seq: 2, type: "participant_updated", participant: person("ada", "participant") },
    ]);
    expect(view.self?.role).toBe("participant");
    expect(isModerator(view)).toBe(false);
  });

  it("chat replayed after a resume or edited in place is not shown twice", () => {
    const view = replay([
      welcome({ recentChat: [message(3, "one")] }),
      { seq: 4, type: "chat_message", message: message(4, "two") },
      { seq: 4, type: "chat_message", message: message(4, "two") },
      { seq: 5, type: "chat_updated", message: { ...message(3, "one!"), editedAt: "2026-11-24T10:03:00.000Z" } },
      { seq: 6, type: "chat_history", ref: "r", messages: [message(1, "zero")], hasMore: false },
    ]);
    expect(view.chat.map((entry) => entry.body)).toEqual(["zero", "one!", "two"]);
    expect(view.chatHasMore).toBe(false);
  });

  it("a spotlit participant who leaves is no longer spotlit", () => {
    const view = replay([
      welcome({ roster: [person("ada", "host"), person("bob")] }),
      { seq: 2, type: "spotlight", target: "bob", by: "ada" },
      { seq: 3, type: "participant_left", identity: "bob", reason: "removed" },
    ]);
    expect(view.spotlight).toBeNull();
  });

  it("waiting, then admitted; or denied; removal and the end say why", () => {
    expect(replay([{ seq: 1, type: "waiting_room" }]).phase).toBe("waiting");
    expect(replay([{ seq: 1, type: "waiting_room" }, welcome({ seq: 2 })]).phase).toBe("in_meeting");
    expect(
      replay([
        { seq: 1, type: "waiting_room" },
        { seq: 2, type: "denied" },
      ]).phase,
    ).toBe("denied");
    const removed = replay([welcome({ roster: [person("ada"), person("bob", "host")] }), { seq: 2, type: "removed", by: "bob" }]);
    expect([removed.phase, removed.farewell]).toEqual(["removed", "Removed by BOB"]);
    expect(replay([welcome(), { seq: 2, type: "meeting_ended", reason: "host_ended" }]).farewell).toBe("Reason: host ended");
  });

  it("media moves to the SFU on media_mode, a late joiner learns it from the welcome, and a failed move goes back to P2P", () => {
    const grown = replay([
      welcome(),
      { seq: 2, type: "media_mode", mode: "sfu" },
      { seq: 3, type: "media_state", sfuActive: true, onSfu: { ada: ["camera", "microphone"] } },
    ]);
    expect([grown.mediaMode, grown.onSfu]).toEqual(["sfu", { ada: ["camera", "microphone"] }]);
    expect(replay([welcome({ mediaMode: "sfu" })]).mediaMode).toBe("sfu");
    const fellBack = applyFrame(grown, { seq: 4, type: "media_mode", mode: "p2p", reason: "no node" });
    expect([fellBack.mediaMode, fellBack.onSfu]).toEqual(["p2p", {}]);
  });

  it("SFU credentials put the view in sfu mode whatever it believed before", () => {
    const view = replay([
      welcome(),
      { seq: 2, type: "sfu_join", url: "ws://127.0.0.1:7880", token: "t", expiresAt: "2026-11-24T11:00:00.000Z" },
    ]);
    expect(view.mediaMode).toBe("sfu");
  });

  it("a fresh welcome after a failed resume replaces everything rather than merging", () => {
    const before = replay([welcome({ roster: [person("ada", "host"), person("bob")], recentChat: [message(1, "old")] })]);
    const after = applyFrame(before, welcome({ seq: 9, roster: [person("ada", "host")], recentChat: [] }));
    expect(after.roster.map((entry) => entry.identity)).toEqual(["ada"]);
    expect(after.chat).toEqual([]);
  });

  it("the recording comes from the welcome and recording_state; a start on a P2P call is marked as moving it to the SFU", () => {
    const joinedLate = replay([welcome({ mediaMode: "sfu", recording: recordingIndicator() })]);
    expect([joinedLate.recording?.phase, joinedLate.recordingMovedMedia]).toEqual(["capturing", false]);
    const started = replay([welcome(), { seq: 2, type: "recording_state", recording: recordingIndicator({ phase: "starting" }) }]);
    expect([started.recording?.phase, started.recordingMovedMedia]).toEqual(["starting", true]);
    const onSfu = replay(
      [
        { seq: 3, type: "media_mode", mode: "sfu" },
        { seq: 4, type: "recording_state", recording: recordingIndicator({ phase: "capturing" }) },
      ],
      started,
    );
    expect([onSfu.recording?.phase, onSfu.recordingMovedMedia]).toEqual(["capturing", true]);
    const stopped = applyFrame(onSfu, { seq: 5, type: "recording_state", recording: null });
    expect([stopped.recording, stopped.recordingMovedMedia]).toEqual([null, false]);
    const next = applyFrame(stopped, {
      seq: 6,
      type: "recording_state",
      recording: recordingIndicator({ recordingId: crypto.randomUUID() }),
    });
    expect(next.recordingMovedMedia).toBe(false);
  });

  it("ready recordings are listed once each (a repeated frame refreshes the link) and survive a fresh welcome", () => {
    const ready = (seq: number, playbackUrl: string) =>
      ({
        seq,
        type: "recording_ready",
        recordingId: recordingIndicator().recordingId,
        playbackUrl,
        expiresAt: "2026-11-24T11:00:00.000Z",
      }) as const;
    const view = replay([welcome(), ready(2, "https://api/old.m3u8"), ready(3, "https://api/new.m3u8")]);
    expect(view.readyRecordings.map((r) => r.playbackUrl)).toEqual(["https://api/new.m3u8"]);
    expect(applyFrame(view, welcome({ seq: 9 })).readyRecordings).toHaveLength(1);
  });
});
