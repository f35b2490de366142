import { describe, expect, it } from "vitest";
import { isTimeZone, wallClockOf, wallClockToInstant } from "./wall-clock.ts";

const instant = (wallClock: string, zone: string) => wallClockToInstant(wallClock, zone)?.toISOString() ?? null;

describe("a wall-clock time in a zone, as an instant", () => {
  it("09:00 in Paris is 08:00Z in winter and 07:00Z in summer", () => {
    expect(instant("2026-01-13T09:00", "Europe/Paris")).toBe("2026-01-13T08:00:00.000Z");
    expect(instant("2026-07-14T09:00", "Europe/Paris")).toBe("2026-07-14T07:00:00.000Z");
  });

  it("09:00 in New York is 14:00Z in winter and 13:00Z in summer", () => {
    expect(instant("2026-01-13T09:00", "America/New_York")).toBe("2026-01-13T14:00:00.000Z");
    expect(instant("2026-07-14T09:00", "America/New_York")).toBe("2026-07-14T13:00:00.000Z");
  });

  it("the same 09:00 on either side of each zone's change keeps its local time", () => {
    // Paris changes on 29 March and 25 October 2026, New York on 8 March and 1 November.
    expect(instant("2026-03-28T09:00", "Europe/Paris")).toBe("2026-03-28T08:00:00.000Z");
    expect(instant("2026-03-29T09:00", "Europe/Paris")).toBe("2026-03-29T07:00:00.000Z");
    expect(instant("2026-10-24T09:00", "Europe/Paris")).toBe("2026-10-24T07:00:00.000Z");
    expect(instant("2026-10-25T09:00", "Europe/Paris")).toBe("2026-10-25T08:00:00.000Z");
    expect(instant("2026-03-07T09:00", "America/New_York")).toBe("2026-03-07T14:00:00.000Z");
    expect(instant("2026-03-08T09:00", "America/New_York")).toBe("2026-03-08T13:00:00.000Z");
    expect(instant("2026-10-31T09:00", "America/New_York")).toBe("2026-10-31T13:00:00.000Z");
    expect(instant("2026-11-01T09:00", "America/New_York")).toBe("2026-11-01T14:00:00.000Z");
  });

  it("a time skipped by the spring-forward moves forward by the gap", () => {
    // 02:30 does not exist in Paris on 29 March 2026: it becomes 03:30 summer time (01:30Z).
    expect(instant("2026-03-29T02:30", "Europe/Paris")).toBe("2026-03-29T01:30:00.000Z");
    expect(wallClockOf(new Date("2026-03-29T01:30:00Z"), "Europe/Paris")).toBe("2026-03-29T03:30");
    // Nor in New York on 8 March 2026: 03:30 EDT (07:30Z).
    expect(instant("2026-03-08T02:30", "America/New_York")).toBe("2026-03-08T07:30:00.000Z");
    expect(wallClockOf(new Date("2026-03-08T07:30:00Z"), "America/New_York")).toBe("2026-03-08T03:30");
  });

  it("a time repeated by the fall-back is its first occurrence, still in summer time", () => {
    // 02:30 happens twice in Paris on 25 October 2026: at 00:30Z (CEST) and 01:30Z (CET).
    expect(instant("2026-10-25T02:30", "Europe/Paris")).toBe("2026-10-25T00:30:00.000Z");
    // 01:30 happens twice in New York on 1 November 2026: at 05:30Z (EDT) and 06:30Z (EST).
    expect(instant("2026-11-01T01:30", "America/New_York")).toBe("2026-11-01T05:30:00.000Z");
  });

  it("the times just around each change are the ones the clock shows", () => {
    expect(instant("2026-03-29T01:59", "Europe/Paris")).toBe("2026-03-29T00:59:00.000Z");
    expect(instant("2026-03-29T03:00", "Europe/Paris")).toBe("2026-03-29T01:00:00.000Z");
    expect(instant("2026-10-25T01:59", "Europe/Paris")).toBe("2026-10-24T23:59:00.000Z");
    expect(instant("2026-10-25T03:00", "Europe/Paris")).toBe("2026-10-25T02:00:00.000Z");
  });

  it("zones off the whole hour, south of the equator and UTC", () => {
    expect(instant("2026-06-01T09:00", "Asia/Kolkata")).toBe("2026-06-01T03:30:00.000Z");
    expect(instant("2026-06-01T09:00", "Asia/Kathmandu")).toBe("2026-06-01T03:15:00.000Z");
    // Sydney is on summer time in January (UTC+11), standard time in July (UTC+10).
    expect(instant("2026-01-15T09:00", "Australia/Sydney")).toBe("2026-01-14T22:00:00.000Z");
    expect(instant("2026-07-15T09:00", "Australia/Sydney")).toBe("2026-07-14T23:00:00.000Z");
    expect(instant("2026-07-15T09:00:30", "UTC")).toBe("2026-07-15T09:00:30.000Z");
  });

  it("round-trips with the clock's own reading on ordinary days", () => {
    for (const zone of ["Europe/Paris", "America/New_York", "Asia/Tokyo", "Australia/Sydney"]) {
      for (const wallClock of ["2026-01-01T00:00", "2026-04-15T12:45", "2026-12-31T23:59"]) {
        const at = wallClockToInstant(wallClock, zone);
        expect(at && wallClockOf(at, zone)).toBe(wallClock);
      }
    }
  });

  it("refuses what is not a date-time or not a zone", () => {
    expect(instant("2026-02-30T09:00", "Europe/Paris")).toBeNull();
    expect(instant("2026-13-01T09:00", "Europe/Paris")).toBeNull();
    expect(instant("2026-01-01T24:00", "Europe/Paris")).toBeNull();
    expect(instant("0050-01-01T09:00", "Europe/Paris")).toBeNull();
    expect(instant("tomorrow at nine", "Europe/Paris")).toBeNull();
    expect(instant("", "Europe/Paris")).toBeNull();
    expect(instant("2026-01-01T09:00", "Europe/Atlantis")).toBeNull();
    expect(instant("2026-01-01T09:00", "")).toBeNull();
    expect(isTimeZone("Europe/Paris")).toBe(true);
    expect(isTimeZone("Mars/Olympus_Mons")).toBe(false);
  });
});
