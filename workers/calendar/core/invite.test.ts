import ical, { type VEvent } from "node-ical";
import { describe, expect, it } from "vitest";
import { inviteCalendar, inviteUid, type InviteMeeting } from "./invite.ts";

const base: InviteMeeting = {
  id: "5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
  title: "Weekly sync",
  // 09:00 in Paris on Tuesday 2026-10-20 (CEST, UTC+2): 07:00Z.
  start: new Date("2026-10-20T07:00:00Z"),
  end: new Date("2026-10-20T07:30:00Z"),
  timeZone: "Europe/Paris",
  recurrenceRule: "FREQ=WEEKLY;COUNT=4",
  attendees: [{ email: "ana@acme.test", name: "Ana" }, { email: "bo@acme.test" }],
  sequence: 0,
  cancelled: false,
  joinUrl: "https://meet.example.test/#meeting=5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
};

const parsedEvent = (text: string) => {
  const parsed = ical.sync.parseICS(text);
  const events = Object.values(parsed).filter((c) => c?.type === "VEVENT") as VEvent[];
  expect(events).toHaveLength(1);
  return events[0]!;
};

describe("meeting invites (parsed back with node-ical)", () => {
  it("carries the uid, sequence, title, attendees and join link, at the right instant", () => {
    const text = inviteCalendar([base], "REQUEST");
    expect(text).toContain("METHOD:REQUEST");
    expect(text).toContain("BEGIN:VTIMEZONE");
    expect(text).toContain("TZID:Europe/Paris");
    const event = parsedEvent(text);
    expect(event.uid).toBe(inviteUid(base.id));
    expect(Number(event.sequence)).toBe(0);
    expect(event.summary).toBe("Weekly sync");
    expect(new Date(event.start).toISOString()).toBe("2026-10-20T07:00:00.000Z");
    expect(new Date(event.end as Date).toISOString()).toBe("2026-10-20T07:30:00.000Z");
    expect(String(event.location)).toBe(base.joinUrl);
    const attendees = [event.attendee].flat().map((a) => String(typeof a === "string" ? a : a?.val).toLowerCase());
    expect(attendees).toEqual(["mailto:ana@acme.test", "mailto:bo@acme.test"]);
  });

  it("a weekly meeting stays at 09:00 Paris time across the end of summer time", () => {
    const event = parsedEvent(inviteCalendar([base], "REQUEST"));
    const instants = event.rrule!.between(new Date("2026-10-01T00:00:00Z"), new Date("2026-12-01T00:00:00Z"), true);
    const local = instants.map((d: Date) =>
      new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/Paris", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(d),
    );
    // 20 and 27 October straddle the change (25 October 2026): the UTC hour moves, the local hour does not.
    expect(instants.map((d: Date) => d.toISOString())).toEqual([
      "2026-10-20T07:00:00.000Z",
      "2026-10-27T08:00:00.000Z",
      "2026-11-03T08:00:00.000Z",
      "2026-11-10T08:00:00.000Z",
    ]);
    expect(local).toEqual(["09:00", "09:00", "09:00", "09:00"]);
  });

  it("the same across the start of summer time in New York", () => {
    const meeting = {
      ...base,
      timeZone: "America/New_York",
      start: new Date("2026-03-02T14:00:00Z"),
      end: new Date("2026-03-02T15:00:00Z"),
      recurrenceRule: "FREQ=WEEKLY;BYDAY=MO;COUNT=3",
    };
    const event = parsedEvent(inviteCalendar([meeting], "REQUEST"));
    const instants = event.rrule!.between(new Date("2026-03-01T00:00:00Z"), new Date("2026-04-01T00:00:00Z"), true);
    expect(instants.map((d: Date) => d.toISOString())).toEqual([
      "2026-03-02T14:00:00.000Z",
      "2026-03-09T13:00:00.000Z",
      "2026-03-16T13:00:00.000Z",
    ]);
  });

  it("a cancellation keeps the uid and says so", () => {
    const text = inviteCalendar([{ ...base, sequence: 3, cancelled: true }], "CANCEL");
    expect(text).toContain("METHOD:CANCEL");
    const event = parsedEvent(text);
    expect(event.uid).toBe(inviteUid(base.id));
    expect(Number(event.sequence)).toBe(3);
    expect(event.status).toBe("CANCELLED");
  });

  it("without a time zone, the times are UTC", () => {
    const text = inviteCalendar([{ ...base, timeZone: null, recurrenceRule: null }], "PUBLISH");
    expect(text).not.toContain("BEGIN:VTIMEZONE");
    expect(text).toContain("DTSTART:20261020T070000Z");
  });
});
