import { describe, expect, it } from "vitest";
import {
  checkAsked,
  checkDue,
  observeCheck,
  recorderCheckAnswerTimeoutMs,
  recorderCheckEveryMs,
  recorderLostAfterFailures,
  recorderRecheckAfterFailureMs,
  watchRecorder,
} from "./recorder-watch.ts";

describe("recorder watch", () => {
  it("is due every few seconds, and an unanswered check is given up on", () => {
    const watch = watchRecorder(0);
    expect(checkDue(watch, recorderCheckEveryMs - 1)).toBe(false);
    expect(checkDue(watch, recorderCheckEveryMs)).toBe(true);
    const asked = checkAsked(watch, recorderCheckEveryMs);
    expect(asked.asking).toBe(true);
    expect(checkDue(asked, recorderCheckEveryMs + recorderCheckAnswerTimeoutMs)).toBe(true);
  });

  it("declares the recorder lost after consecutive failures only", () => {
    let watch = watchRecorder(0);
    for (let i = 1; i < recorderLostAfterFailures; i++) {
      const seen = observeCheck(watch, false, i * 1000);
      expect(seen.lost).toBe(false);
      expect(seen.watch.nextCheckAt).toBe(i * 1000 + recorderRecheckAfterFailureMs);
      watch = seen.watch;
    }
    const good = observeCheck(watch, true, 10_000);
    expect(good).toEqual({
      watch: { nextCheckAt: 10_000 + recorderCheckEveryMs, failures: 0, lastOkAt: 10_000, asking: false },
      lost: false,
    });
    for (let i = 1; i <= recorderLostAfterFailures; i++) watch = observeCheck(i === 1 ? good.watch : watch, false, 10_000 + i).watch;
    expect(watch.failures).toBe(recorderLostAfterFailures);
    expect(observeCheck({ ...watch, failures: recorderLostAfterFailures - 1 }, false, 20_000).lost).toBe(true);
    expect(watch.lastOkAt).toBe(10_000);
  });
});
