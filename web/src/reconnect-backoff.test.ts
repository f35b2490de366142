import { describe, expect, it } from "vitest";
import { reconnectDelayMs } from "./reconnect-backoff.ts";

describe("reconnect backoff", () => {
  it("doubles from half a second and never exceeds ten seconds", () => {
    const top = (attempt: number) => reconnectDelayMs(attempt, () => 1);
    expect([0, 1, 2, 3, 4, 5, 10].map(top)).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
  });

  it("jitters between half and the full delay so dropped clients do not return in lockstep", () => {
    expect(reconnectDelayMs(3, () => 0)).toBe(2000);
    expect(reconnectDelayMs(3, () => 0.5)).toBe(3000);
  });
});
