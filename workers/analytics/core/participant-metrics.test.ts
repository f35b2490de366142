import { describe, expect, it } from "vitest";
import { participantMetrics, qualityOfRank, qualityRanks } from "./participant-metrics.ts";

describe("participant metrics", () => {
  it("ranks the roster's levels best first, so the worst is the highest rank", () => {
    expect(qualityRanks).toEqual(["excellent", "good", "poor", "lost"]);
    expect(qualityOfRank(1)).toBe("excellent");
    expect(qualityOfRank(4)).toBe("lost");
    expect(qualityOfRank(null)).toBeNull();
    expect(qualityOfRank(9)).toBeNull();
  });

  it("divides the participant's sums; what was never measured is null", () => {
    expect(
      participantMetrics({
        participant: "ada",
        samples: 3,
        mosSamples: 2,
        mosSum: 7,
        worstQualityRank: 3,
        rttSamples: 3,
        rttSumMs: 90,
        jitterSamples: 0,
        jitterSumMs: 0,
        packets: 190,
        packetsLost: 10,
        drops: 1,
        sessions: 2,
        sessionSeconds: 600,
      }),
    ).toEqual({
      participant: "ada",
      samples: 3,
      mosMean: 3.5,
      worstQuality: "poor",
      rttMeanMs: 30,
      jitterMeanMs: null,
      packetLoss: 0.05,
      drops: 1,
      sessions: 2,
      secondsInMeeting: 600,
    });
  });
});
