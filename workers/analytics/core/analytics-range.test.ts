import { describe, expect, it } from "vitest";
import { checkAnalyticsRange, hourCeil, hourFloor, maxRangeDays, meetingRange } from "./analytics-range.ts";

const at = (iso: string) => new Date(iso);
const day = 86_400_000;

describe("analytics range", () => {
  it("widens to whole UTC hours: from down, to up, an hour boundary kept as it is", () => {
    expect(checkAnalyticsRange(at("2025-06-10T10:20:00Z"), at("2025-06-10T12:00:00.001Z"))).toEqual({
      ok: true,
      range: { from: at("2025-06-10T10:00:00Z"), to: at("2025-06-10T13:00:00Z") },
    });
    expect(checkAnalyticsRange(at("2025-06-10T10:00:00Z"), at("2025-06-10T11:00:00Z"))).toEqual({
      ok: true,
      range: { from: at("2025-06-10T10:00:00Z"), to: at("2025-06-10T11:00:00Z") },
    });
    // An offset is only a spelling: the hours are UTC.
    expect(hourFloor(at("2025-06-10T10:59:59.999+05:30"))).toEqual(at("2025-06-10T05:00:00Z"));
    expect(hourCeil(at("1969-12-31T23:30:00Z"))).toEqual(at("1970-01-01T00:00:00Z"));
  });

  it("refuses an empty or backwards range on `to`", () => {
    expect(checkAnalyticsRange(at("2025-06-10T10:00:00Z"), at("2025-06-10T10:00:00Z"))).toEqual({
      ok: false,
      path: "to",
      message: "must be after from",
    });
    expect(checkAnalyticsRange(at("2025-06-10T10:00:00Z"), at("2025-06-09T10:00:00Z"))).toMatchObject({ ok: false, path: "to" });
  });

  it(`takes exactly ${maxRangeDays} days in whole hours, and not an hour more`, () => {
    const from = at("2025-01-01T00:00:00Z");
    expect(checkAnalyticsRange(from, new Date(from.getTime() + maxRangeDays * day)).ok).toBe(true);
    expect(checkAnalyticsRange(from, new Date(from.getTime() + maxRangeDays * day + 1))).toMatchObject({ ok: false, path: "to" });
    // Rounding counts: 93 days from 00:30 reaches into a 94th day's first hour once widened.
    expect(checkAnalyticsRange(at("2025-01-01T00:30:00Z"), new Date(from.getTime() + maxRangeDays * day + 1_800_000)).ok).toBe(false);
  });
});

describe("a meeting's range", () => {
  it("runs from the hour it was created to at least an hour after it ended", () => {
    const range = meetingRange({ createdAt: at("2025-06-10T09:45:00Z"), endedAt: at("2025-06-10T11:00:00Z") }, at("2026-01-01T00:00:00Z"));
    expect(range).toEqual({ from: at("2025-06-10T09:00:00Z"), to: at("2025-06-10T12:00:00Z") });
    const late = meetingRange(
      { createdAt: at("2025-06-10T09:45:00Z"), endedAt: at("2025-06-10T11:00:00.001Z") },
      at("2026-01-01T00:00:00Z"),
    );
    expect(late.to).toEqual(at("2025-06-10T13:00:00Z"));
  });

  it("while live, runs to an hour after now", () => {
    expect(meetingRange({ createdAt: at("2025-06-10T09:45:00Z"), endedAt: null }, at("2025-06-10T10:10:00Z"))).toEqual({
      from: at("2025-06-10T09:00:00Z"),
      to: at("2025-06-10T12:00:00Z"),
    });
  });

  it(`covers a meeting older than ${maxRangeDays} days by its last ${maxRangeDays}, which the range check accepts`, () => {
    const range = meetingRange({ createdAt: at("2024-01-01T00:00:00Z"), endedAt: null }, at("2025-06-10T10:10:00Z"));
    expect(range.to).toEqual(at("2025-06-10T12:00:00Z"));
    expect(range.to.getTime() - range.from.getTime()).toBe(maxRangeDays * day);
    expect(checkAnalyticsRange(range.from, range.to)).toEqual({ ok: true, range });
  });
});
