import { describe, expect, it } from "vitest";
import { acceptsParticipants, endedAt, mergeSchedule, refuseUpdate, type MeetingStatus, type Schedule } from "./meeting-lifecycle.ts";

const nine = new Date("2031-03-01T09:00:00.000Z");
const ten = new Date("2031-03-01T10:00:00.000Z");
const eleven = new Date("2031-03-01T11:00:00.000Z");
const stored: Schedule = { scheduledStartAt: nine, scheduledEndAt: ten };

describe("refuseUpdate", () => {
  it.each<MeetingStatus>(["scheduled", "live"])("allows edits while the meeting is %s", (status) => {
    expect(refuseUpdate(status)).toBeUndefined();
  });

  it("refuses edits to an ended meeting with meeting_ended", () => {
    expect(refuseUpdate("ended")).toBe("meeting_ended");
  });
});

describe("acceptsParticipants", () => {
  it.each<MeetingStatus>(["scheduled", "live"])("lets participants into a %s meeting", (status) => {
    expect(acceptsParticipants(status)).toBe(true);
  });

  it("keeps participants out of an ended meeting", () => {
    expect(acceptsParticipants("ended")).toBe(false);
  });
});

describe("endedAt", () => {
  it.each<MeetingStatus>(["scheduled", "live"])("ends a %s meeting now", (status) => {
    expect(endedAt({ status, endedAt: null }, eleven)).toBe(eleven);
  });

  it("keeps the first end time when an ended meeting is ended again", () => {
    expect(endedAt({ status: "ended", endedAt: ten }, eleven)).toBe(ten);
  });

  it("is idempotent over repeated calls", () => {
    const first = endedAt({ status: "live", endedAt: null }, ten);
    const second = endedAt({ status: "ended", endedAt: first }, eleven);
    expect(second).toBe(first);
  });

  it("ignores a stale endedAt on a meeting that is not ended", () => {
    expect(endedAt({ status: "live", endedAt: nine }, eleven)).toBe(eleven);
  });

  it("falls back to now for an ended meeting with no recorded end time", () => {
    expect(endedAt({ status: "ended", endedAt: null }, eleven)).toBe(eleven);
  });
});

describe("mergeSchedule", () => {
  it("keeps the stored schedule for an empty patch", () => {
    expect(mergeSchedule(stored, {})).toEqual(stored);
  });

  it("changes only the start when only the start is patched", () => {
    expect(mergeSchedule(stored, { scheduledStartAt: new Date("2031-03-01T09:30:00.000Z") })).toEqual({
      scheduledStartAt: new Date("2031-03-01T09:30:00.000Z"),
      scheduledEndAt: ten,
    });
  });

  it("changes only the end when only the end is patched", () => {
    expect(mergeSchedule(stored, { scheduledEndAt: eleven })).toEqual({ scheduledStartAt: nine, scheduledEndAt: eleven });
  });

  it("clears the start with null and leaves the end", () => {
    expect(mergeSchedule(stored, { scheduledStartAt: null })).toEqual({ scheduledStartAt: null, scheduledEndAt: ten });
  });

  it("clears the end with null and leaves the start", () => {
    expect(mergeSchedule(stored, { scheduledEndAt: null })).toEqual({ scheduledStartAt: nine, scheduledEndAt: null });
  });

  it("treats an explicit undefined like an absent field", () => {
    expect(mergeSchedule(stored, { scheduledStartAt: undefined, scheduledEndAt: undefined })).toEqual(stored);
  });

  it("accepts a whole new schedule", () => {
    expect(mergeSchedule(stored, { scheduledStartAt: ten, scheduledEndAt: eleven })).toEqual({
      scheduledStartAt: ten,
      scheduledEndAt: eleven,
    });
  });

  it("refuses an end equal to the start", () => {
    expect(mergeSchedule(stored, { scheduledEndAt: nine })).toBe("invalid_schedule");
  });

  it("refuses an end before the start", () => {
    expect(mergeSchedule(stored, { scheduledStartAt: eleven, scheduledEndAt: ten })).toBe("invalid_schedule");
  });

  it("refuses a start moved past the stored end", () => {
    expect(mergeSchedule(stored, { scheduledStartAt: eleven })).toBe("invalid_schedule");
  });

  it("refuses an end moved before the stored start", () => {
    expect(mergeSchedule({ scheduledStartAt: ten, scheduledEndAt: eleven }, { scheduledEndAt: nine })).toBe("invalid_schedule");
  });

  it("accepts any end once the start is cleared, and any start once the end is cleared", () => {
    expect(mergeSchedule(stored, { scheduledStartAt: null, scheduledEndAt: nine })).toEqual({
      scheduledStartAt: null,
      scheduledEndAt: nine,
    });
    expect(mergeSchedule(stored, { scheduledStartAt: eleven, scheduledEndAt: null })).toEqual({
      scheduledStartAt: eleven,
      scheduledEndAt: null,
    });
  });

  it("does not modify the stored schedule", () => {
    const copy = { ...stored };
    mergeSchedule(stored, { scheduledStartAt: null, scheduledEndAt: eleven });
    expect(stored).toEqual(copy);
  });
});
