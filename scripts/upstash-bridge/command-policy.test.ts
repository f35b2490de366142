import { describe, expect, it } from "vitest";
import { refusal } from "./command-policy.ts";

describe("refusal", () => {
  it.each([["BLPOP", "l", "0"], ["select", "1"], ["MULTI"], ["Subscribe", "c"], ["CLIENT", "REPLY", "OFF"], ["QUIT"]])(
    "refuses %s, which would block or change the shared connection",
    (...command) => {
      expect(refusal(command as [string, ...string[]])).toMatch(/not available/);
    },
  );

  it("refuses XREAD only when it blocks", () => {
    expect(refusal(["XREAD", "BLOCK", "0", "STREAMS", "s", "$"])).toBeDefined();
    expect(refusal(["XREAD", "COUNT", "1", "STREAMS", "block", "0"])).toBeUndefined();
  });

  it("lets ordinary commands, scripts and flushes through", () => {
    for (const command of [["GET", "k"], ["EVAL", "return 1", "0"], ["FLUSHDB"], ["SCRIPT", "LOAD", "return 1"]]) {
      expect(refusal(command as [string, ...string[]])).toBeUndefined();
    }
  });
});
