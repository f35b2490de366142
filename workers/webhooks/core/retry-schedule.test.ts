import { describe, expect, it } from "vitest";
import { maxRetryAfterSeconds, nextAttempt, parseRetrySchedule, retryAfterSeconds, standardRetrySchedule } from "./retry-schedule.ts";

describe("retry schedule", () => {
  it("follows the Standard Webhooks schedule, then gives up after the tenth attempt", () => {
    const noJitter = () => 0;
    const waits = [];
    for (let attempts = 1; attempts < 10; attempts++) {
      const next = nextAttempt(standardRetrySchedule, attempts, 0, null, noJitter);
      waits.push(next.kind === "retry" ? next.at / 1000 : "dead");
    }
    expect(waits).toEqual([5, 300, 1_800, 7_200, 18_000, 36_000, 50_400, 72_000, 86_400]);
    expect(nextAttempt(standardRetrySchedule, 10, 0, null, noJitter)).toEqual({ kind: "dead" });
  });

  it("adds at most 10% jitter, never less than the schedule", () => {
    expect(nextAttempt(standardRetrySchedule, 1, 1_000, null, () => 0.999)).toEqual({ kind: "retry", at: 1_000 + 5_500 });
    expect(nextAttempt(standardRetrySchedule, 1, 1_000, null, () => 0)).toEqual({ kind: "retry", at: 6_000 });
  });

  it("a Retry-After replaces the scheduled wait, capped at a day", () => {
    expect(nextAttempt(standardRetrySchedule, 2, 0, 7, () => 0)).toEqual({ kind: "retry", at: 7_000 });
    expect(nextAttempt(standardRetrySchedule, 2, 0, 10 * maxRetryAfterSeconds, () => 0)).toEqual({
      kind: "retry",
      at: maxRetryAfterSeconds * 1000,
    });
    // Retry-After never keeps a delivery alive past the schedule's end.
    expect(nextAttempt(standardRetrySchedule, 10, 0, 1, () => 0)).toEqual({ kind: "dead" });
  });

  it("reads Retry-After as seconds or an HTTP date", () => {
    const now = Date.parse("2026-12-03T10:00:00Z");
    expect(retryAfterSeconds("120", now)).toBe(120);
    expect(retryAfterSeconds("Thu, 03 Dec 2026 10:00:30 GMT", now)).toBe(30);
    expect(retryAfterSeconds("Thu, 03 Dec 2026 09:00:00 GMT", now)).toBe(0);
    expect(retryAfterSeconds("soon", now)).toBeNull();
    expect(retryAfterSeconds(null, now)).toBeNull();
  });

  it("takes a configured schedule and refuses a malformed one", () => {
    expect(parseRetrySchedule(undefined)).toBe(standardRetrySchedule);
    expect(parseRetrySchedule("0, 1,2").delaysSeconds).toEqual([0, 1, 2]);
    expect(() => parseRetrySchedule("0,-1")).toThrow(/non-negative/);
    expect(() => parseRetrySchedule("0,soon")).toThrow();
  });
});
