import { describe, expect, it } from "vitest";
import { assemblyWaves, scratchBudgetBytes } from "./assembly-plan.ts";

const GB = 1000 ** 3;

describe("assembly waves", () => {
  it("a typical 4-hour meeting joins its MP4 and WebM at once", () => {
    expect(
      assemblyWaves([
        { kind: "webm", estimatedBytes: 1.2 * GB },
        { kind: "mp4", estimatedBytes: 2.5 * GB },
      ]),
    ).toEqual([["mp4", "webm"]]);
  });

  it("a 4-hour meeting at the rate caps (MP4 9 GB, WebM 3.6 GB) joins them one after the other, the larger first", () => {
    expect(
      assemblyWaves([
        { kind: "webm", estimatedBytes: 3.6 * GB },
        { kind: "mp4", estimatedBytes: 8.9 * GB },
      ]),
    ).toEqual([["mp4"], ["webm"]]);
  });

  it("a rendition larger than the whole budget still runs, alone", () => {
    expect(assemblyWaves([{ kind: "mp4", estimatedBytes: scratchBudgetBytes + 1 }], scratchBudgetBytes)).toEqual([["mp4"]]);
    expect(assemblyWaves([], scratchBudgetBytes)).toEqual([]);
  });
});
