import { describe, expect, it } from "vitest";
import { coalesceWindow, coalesceWindowMs } from "./coalesce-window.ts";

describe("coalesce window", () => {
  it("keeps small rooms at the floor", () => {
    expect(coalesceWindowMs(0)).toBe(coalesceWindow.minMs);
    expect(coalesceWindowMs(2)).toBe(coalesceWindow.minMs);
    expect(coalesceWindowMs(80)).toBe(coalesceWindow.minMs);
  });

  it("grows with the room so a busy room sends about the same number of messages a second", () => {
    expect(coalesceWindowMs(200)).toBe(25);
    expect(coalesceWindowMs(300)).toBe(38);
    for (const sockets of [150, 200, 250, 300, 350]) {
      const sendsPerSecond = (sockets * 1000) / coalesceWindowMs(sockets);
      expect(sendsPerSecond).toBeLessThanOrEqual(coalesceWindow.sendsPerSecond);
      expect(sendsPerSecond).toBeGreaterThan(coalesceWindow.sendsPerSecond * 0.95);
    }
  });

  it("never adds more than the ceiling, however large the room", () => {
    expect(coalesceWindowMs(1_000)).toBe(coalesceWindow.maxMs);
    expect(coalesceWindowMs(100_000)).toBe(coalesceWindow.maxMs);
  });
});
