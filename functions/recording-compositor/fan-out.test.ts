import { describe, expect, it } from "vitest";
import { fanOut } from "./fan-out.ts";

describe("fanOut", () => {
  it("runs at most `concurrency` items at once and answers each item's outcome in order", async () => {
    let running = 0;
    let peak = 0;
    const outcomes = await fanOut([1, 2, 3, 4, 5], { concurrency: 2, attempts: 1 }, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running--;
      return n * 10;
    });
    expect(peak).toBe(2);
    expect(outcomes.map((o) => [o.item, o.value, o.ok])).toEqual([
      [1, 10, true],
      [2, 20, true],
      [3, 30, true],
      [4, 40, true],
      [5, 50, true],
    ]);
  });

  it("retries a failing item alone, up to the attempts, and keeps every failure's message; the others are untouched", async () => {
    const tries = new Map<string, number>();
    const outcomes = await fanOut(["flaky", "broken", "fine"], { concurrency: 3, attempts: 3 }, async (item, attempt) => {
      tries.set(item, attempt);
      if (item === "flaky" && attempt === 1) throw new Error("runtime exited");
      if (item === "broken") throw new Error(`try ${attempt}`);
      return item;
    });
    expect(outcomes.map((o) => [o.item, o.ok, o.failures])).toEqual([
      ["flaky", true, ["runtime exited"]],
      ["broken", false, ["try 1", "try 2", "try 3"]],
      ["fine", true, []],
    ]);
    expect(Object.fromEntries(tries)).toEqual({ flaky: 2, broken: 3, fine: 1 });
  });

  it("an empty list does nothing", async () => {
    expect(await fanOut([], { concurrency: 4, attempts: 2 }, async () => 1)).toEqual([]);
  });
});
