import { describe, expect, it } from "vitest";
import { scheduleSummary } from "./schedule-summary.ts";

const weekly = {
  scheduledStartAt: "2026-10-20T07:00:00.000Z",
  scheduledEndAt: "2026-10-20T07:30:00.000Z",
  timeZone: "Europe/Paris",
  recurrenceRule: "FREQ=WEEKLY",
};

describe("a scheduled meeting in words", () => {
  it("on the clock of the zone it was scheduled in, with its length and repeat", () => {
    const summary = scheduleSummary(weekly, "en-GB");
    expect(summary).toMatch(/^Tuesday,? 20 October 2026 at 09:00 \(Europe\/Paris\) · 30 minutes · Weekly$/);
    expect(scheduleSummary({ ...weekly, timeZone: "America/New_York" }, "en-GB")).toContain("03:00 (America/New_York)");
  });

  it("a locale the runtime does not know falls back to its own; no start, no summary", () => {
    expect(scheduleSummary(weekly, "not a locale!")).toContain("(Europe/Paris) · 30 minutes · Weekly");
    expect(scheduleSummary({ ...weekly, scheduledStartAt: null })).toBeNull();
  });
});
