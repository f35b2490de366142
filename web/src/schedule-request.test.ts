import { describe, expect, it } from "vitest";
import { repeatLabelOf, scheduleRequestOf, type ScheduleFields } from "./schedule-request.ts";

const fields: ScheduleFields = {
  title: "  Weekly planning ",
  start: "2026-10-20T09:00",
  durationMinutes: 30,
  timeZone: "Europe/Paris",
  attendees: "Ana Lima <Ana@Example.com>, bo@example.com\nbo@example.com",
  recurrenceRule: "FREQ=WEEKLY",
};

describe("the schedule form's values as the API's schedule fields", () => {
  it("a Paris 09:00 start for 30 minutes, weekly, with its attendees once each", () => {
    expect(scheduleRequestOf(fields)).toEqual({
      ok: true,
      request: {
        title: "Weekly planning",
        scheduledStartAt: "2026-10-20T07:00:00.000Z",
        scheduledEndAt: "2026-10-20T07:30:00.000Z",
        timeZone: "Europe/Paris",
        recurrenceRule: "FREQ=WEEKLY",
        attendees: [{ email: "ana@example.com", name: "Ana Lima" }, { email: "bo@example.com" }],
      },
    });
  });

  it("names the first wrong field", () => {
    expect(scheduleRequestOf({ ...fields, title: " " })).toMatchObject({ ok: false, field: "title" });
    expect(scheduleRequestOf({ ...fields, timeZone: "Paris" })).toMatchObject({ ok: false, field: "timeZone" });
    expect(scheduleRequestOf({ ...fields, start: "" })).toMatchObject({ ok: false, field: "start" });
    expect(scheduleRequestOf({ ...fields, attendees: "ana@example.com, not an address" })).toEqual({
      ok: false,
      field: "attendees",
      message: "Not an email address: not an address",
    });
  });

  it("no attendees and no repeat are fine", () => {
    const check = scheduleRequestOf({ ...fields, attendees: " \n ", recurrenceRule: null });
    expect(check).toMatchObject({ ok: true, request: { attendees: [], recurrenceRule: null } });
  });

  it("describes the repeat choices in words", () => {
    expect(repeatLabelOf(null)).toBe("Does not repeat");
    expect(repeatLabelOf("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR")).toBe("Every weekday (Monday to Friday)");
    expect(repeatLabelOf("FREQ=MONTHLY;COUNT=3")).toBe("FREQ=MONTHLY;COUNT=3");
  });
});
