import { describe, expect, it } from "vitest";
import { callQualityMetrics, lossRate, type MetricInputs, type RollupSums, ratio } from "./call-quality-metrics.ts";

const nothing: RollupSums = {
  samples: 0,
  mosSamples: 0,
  mosSum: 0,
  mosBands: [0, 0, 0, 0, 0],
  rttSamples: 0,
  rttSumMs: 0,
  jitterSamples: 0,
  jitterSumMs: 0,
  packets: 0,
  packetsLost: 0,
  connectionAttempts: 0,
  connectionsJoined: 0,
  joinTimings: 0,
  joinMsSum: 0,
  drops: 0,
  sessions: 0,
  participantSeconds: 0,
  samplesDropped: 0,
};

const noSessions = { sessions: 0, meanSessionSeconds: null, meetings: 0, meanMeetingSeconds: null };
const inputs = (rollup: Partial<RollupSums>, rest: Partial<MetricInputs> = {}): MetricInputs => ({
  rollup: { ...nothing, ...rollup },
  joinPercentiles: { p50Ms: null, p95Ms: null },
  sessions: noSessions,
  activeUsers: 0,
  ...rest,
});

describe("call-quality metrics from rollup sums", () => {
  it("every ratio is sum over count of the same rows", () => {
    const m = callQualityMetrics(
      inputs({
        samples: 10,
        mosSamples: 8,
        mosSum: 32,
        mosBands: [2, 2, 1, 1, 2],
        rttSamples: 4,
        rttSumMs: 200,
        jitterSamples: 5,
        jitterSumMs: 50,
        packets: 970,
        packetsLost: 30,
        connectionAttempts: 4,
        connectionsJoined: 3,
        joinTimings: 2,
        joinMsSum: 3000,
        drops: 3,
        sessions: 6,
        participantSeconds: 5400,
        samplesDropped: 7,
      }),
    );
    expect(m.connections).toEqual({ attempts: 4, joined: 3, successRate: 0.75 });
    expect(m.joinTime).toEqual({ timings: 2, meanMs: 1500, p50Ms: null, p95Ms: null });
    expect(m.packetLoss).toEqual({ packets: 970, packetsLost: 30, rate: 0.03 });
    expect(m.rtt).toEqual({ samples: 4, meanMs: 50 });
    expect(m.jitter).toEqual({ samples: 5, meanMs: 10 });
    expect(m.mos.mean).toBe(4);
    expect(m.mos.distribution).toEqual([
      { band: "very_satisfied", minMos: 4.3, samples: 2, share: 0.25 },
      { band: "satisfied", minMos: 4.0, samples: 2, share: 0.25 },
      { band: "some_dissatisfied", minMos: 3.6, samples: 1, share: 0.125 },
      { band: "many_dissatisfied", minMos: 3.1, samples: 1, share: 0.125 },
      { band: "nearly_all_dissatisfied", minMos: 1, samples: 2, share: 0.25 },
    ]);
    // 3 drops over 1.5 participant-hours and 6 sessions.
    expect(m.drops).toEqual({ count: 3, sessions: 6, perParticipantHour: 2, perSession: 0.5 });
    expect(m.meetingMinutes).toBe(90);
    expect(m.participantSeconds).toBe(5400);
    expect(m.samples).toBe(10);
    expect(m.samplesDropped).toBe(7);
  });

  it("a metric with nothing under it is null, never 0; counts of nothing are 0", () => {
    const m = callQualityMetrics(inputs({}));
    expect(m.connections.successRate).toBeNull();
    expect(m.joinTime.meanMs).toBeNull();
    expect(m.packetLoss.rate).toBeNull();
    expect(m.rtt.meanMs).toBeNull();
    expect(m.jitter.meanMs).toBeNull();
    expect(m.mos.mean).toBeNull();
    expect(m.mos.distribution.map((b) => b.share)).toEqual([null, null, null, null, null]);
    expect(m.drops.perParticipantHour).toBeNull();
    expect(m.drops.perSession).toBeNull();
    expect(m.callDuration).toEqual(noSessions);
    expect([m.samples, m.activeUsers, m.meetingMinutes, m.connections.attempts]).toEqual([0, 0, 0, 0]);
  });

  it("zero of something measured is 0, not null: all joined, nothing lost", () => {
    const m = callQualityMetrics(inputs({ connectionAttempts: 2, connectionsJoined: 0, packets: 100 }));
    expect(m.connections.successRate).toBe(0);
    expect(m.packetLoss.rate).toBe(0);
  });

  it("passes the exact figures through: percentiles, session lengths, active users", () => {
    const sessions = { sessions: 3, meanSessionSeconds: 40, meetings: 1, meanMeetingSeconds: 100 };
    const m = callQualityMetrics(inputs({}, { joinPercentiles: { p50Ms: 900, p95Ms: 2400 }, sessions, activeUsers: 5 }));
    expect(m.joinTime).toMatchObject({ p50Ms: 900, p95Ms: 2400 });
    expect(m.callDuration).toEqual(sessions);
    expect(m.activeUsers).toBe(5);
  });

  it("ratio and loss rate", () => {
    expect(ratio(1, 0)).toBeNull();
    expect(ratio(0, 3)).toBe(0);
    expect(lossRate(0, 0)).toBeNull();
    expect(lossRate(0, 5)).toBe(1);
    expect(lossRate(75, 25)).toBe(0.25);
  });
});
