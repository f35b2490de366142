import { describe, expect, it } from "vitest";
import { meetingDeletedReason, type MeetingRoomSettings } from "../../../protocol/room-contract.ts";
import { reduce } from "./room-reducer.ts";
import { connectRefusal, roomBornOf } from "./room-configuration.ts";
import type { RoomState } from "./room-state.ts";

const settings: MeetingRoomSettings = {
  title: "Standup",
  sfuThreshold: 5,
  locationHint: { country: "DE" },
  waitingRoom: false,
  maxParticipants: 10,
  scheduledEndAt: null,
  autoRecord: false,
  recordingConsent: false,
};
const born = (): RoomState => roomBornOf({ kind: "configure", meetingId: "m1", tenantId: "t1", settings })!;
const configured = () => reduce(born(), { kind: "configure", meetingId: "m1", tenantId: "t1", settings }, 0).state;

describe("a live room's settings and its answer to connects", () => {
  it("an API edit changes the settings but keeps the first joiner's location", () => {
    const { scheduledEndAt: _, locationHint: __, ...rest } = settings;
    const edited = reduce(configured(), { kind: "settings_changed", settings: { ...rest, title: "Retro", scheduledEndAt: null } }, 1).state;
    expect(edited.settings.title).toBe("Retro");
    expect(edited.locationHint).toEqual({ country: "DE" });
  });

  it("an edit never brings a room into being: only a connect's configure does", () => {
    expect(roomBornOf({ kind: "settings_changed", settings: { ...settings, title: "x" } })).toBeUndefined();
  });

  it("a live room refuses nothing; an ended one meeting_ended; a deleted one not_found, also when deleted after it ended", () => {
    const live = configured();
    expect(connectRefusal(live)).toBeUndefined();
    const ended = reduce(live, { kind: "end", reason: "ended_by_api" }, 2).state;
    expect(connectRefusal(ended)).toBe("meeting_ended");
    expect(connectRefusal(reduce(ended, { kind: "end", reason: meetingDeletedReason }, 3).state)).toBe("not_found");
    expect(connectRefusal(reduce(live, { kind: "end", reason: meetingDeletedReason }, 3).state)).toBe("not_found");
  });
});
