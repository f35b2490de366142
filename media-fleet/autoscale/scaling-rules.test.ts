import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defaultAutoscaleConfig } from "./autoscale-config.ts";
import type { DemandForecast } from "./demand-profile.ts";
import type { RegionId } from "../../protocol/ids.ts";
import type { RegionSnapshot } from "./region-snapshot.ts";
import {
  connectionsRule,
  cpuRule,
  evaluateRules,
  geographicRule,
  latencyRule,
  predictiveRule,
  type RuleInput,
  type RuleVerdict,
} from "./scaling-rules.ts";

const east = "us-east" as RegionId;
const at = (h: number) => Date.UTC(2030, 0, 7) + h * 3_600_000;

/** Four ready nodes with every signal inside its hysteresis band. */
const neutral: RegionSnapshot = {
  regionId: east,
  readyNodes: 4,
  pendingNodes: 0,
  demandConnections: 2000,
  reportingNodes: 4,
  meanCpu: 0.55,
  connectionsPerNode: 500,
  meanP95LatencyMs: 80,
};
const input = (
  change: Partial<RegionSnapshot> = {},
  forecast: { scaleOut?: DemandForecast; scaleIn?: DemandForecast } = {},
): RuleInput => ({
  snapshot: { ...neutral, ...change },
  config: defaultAutoscaleConfig,
  forecast: { scaleOut: forecast.scaleOut ?? null, scaleIn: forecast.scaleIn ?? null },
});
const kinds = (verdicts: RuleVerdict[]) => Object.fromEntries(verdicts.map((v) => [v.rule, v.kind]));

describe("inside the band", () => {
  it("no rule wants anything when every signal is between its thresholds", () => {
    expect(kinds(evaluateRules(input()))).toEqual({
      cpu: "hold",
      connections: "hold",
      latency: "hold",
      predictive: "allow_scale_in",
      geographic: "hold",
    });
  });

  it("the predictive rule has no say until it has learned a day", () => {
    expect(predictiveRule(input())).toMatchObject({
      kind: "allow_scale_in",
      removable: Infinity,
      reason: "predictive: no learned profile yet",
    });
  });
});

describe("(1) cpu", () => {
  it("scales out above 70%, sized so the region lands at 60%", () => {
    expect(cpuRule(input({ meanCpu: 0.78 }))).toEqual({
      rule: "cpu",
      kind: "scale_out",
      nodes: 2, // 0.78 × 4 = 3.12 cores of load → 6 nodes at 52%
      emergency: false,
      reason: "cpu: mean 78% > 70% on 4 ready nodes; 6 nodes bring it to 52%",
    });
  });

  it("flags an emergency above 90%", () => {
    expect(cpuRule(input({ meanCpu: 0.95 }))).toMatchObject({ kind: "scale_out", emergency: true, nodes: 3 });
  });

  it("counts booting nodes: no second request for capacity already on its way", () => {
    expect(cpuRule(input({ meanCpu: 0.78, pendingNodes: 2 }))).toMatchObject({
      kind: "hold",
      reason: expect.stringContaining("covered by 2 booting"),
    });
  });

  it("allows a scale-in below 40% only as far as the rest stays at or under 60%", () => {
    expect(cpuRule(input({ meanCpu: 0.3 }))).toMatchObject({
      kind: "allow_scale_in",
      removable: 2,
      reason: "cpu: mean 30% < 40%; 2 nodes would run at 60% <= 60%",
    });
  });

  it("holds below 40% when removing a node would push the rest over 60%", () => {
    expect(cpuRule(input({ meanCpu: 0.38, readyNodes: 2 }))).toMatchObject({
      kind: "hold",
      reason: expect.stringContaining("1 node would run at 76%"),
    });
  });

  it("holds when no node reported", () => {
    expect(cpuRule(input({ meanCpu: null, reportingNodes: 0 }))).toMatchObject({ kind: "hold", reason: "cpu: nothing measured" });
  });
});

describe("(2) connections", () => {
  it("scales out above 1000 connections per node", () => {
    expect(connectionsRule(input({ connectionsPerNode: 1100 }))).toMatchObject({
      kind: "scale_out",
      nodes: 4, // 4400 connections → 8 nodes at 550
      emergency: false,
      reason: "connections: per node 1100 > 1000 on 4 ready nodes; 8 nodes bring it to 550",
    });
  });

  it("flags an emergency above 1200 per node", () => {
    expect(connectionsRule(input({ connectionsPerNode: 1250 }))).toMatchObject({ kind: "scale_out", emergency: true });
  });

  it("allows a scale-in below 400 per node", () => {
    expect(connectionsRule(input({ connectionsPerNode: 250 }))).toMatchObject({ kind: "allow_scale_in", removable: 2 });
  });
});

describe("(3) latency", () => {
  it("adds one node when p95 is over 100 ms", () => {
    expect(latencyRule(input({ meanP95LatencyMs: 130 }))).toEqual({
      rule: "latency",
      kind: "scale_out",
      nodes: 1,
      emergency: false,
      reason: "latency: mean p95 130 ms > 100 ms; +1 node",
    });
  });

  it("flags an emergency over 250 ms", () => {
    expect(latencyRule(input({ meanP95LatencyMs: 400 }))).toMatchObject({ kind: "scale_out", emergency: true });
  });

  it("waits for booting nodes rather than adding more", () => {
    expect(latencyRule(input({ meanP95LatencyMs: 130, pendingNodes: 1 }))).toMatchObject({ kind: "hold" });
  });

  it("consents to a scale-in below 60 ms without sizing it", () => {
    expect(latencyRule(input({ meanP95LatencyMs: 40 }))).toMatchObject({ kind: "allow_scale_in", removable: Infinity });
  });
});

describe("(4) predictive", () => {
  it("scales out when the learned demand of the lead window exceeds capacity at 60%", () => {
    expect(predictiveRule(input({}, { scaleOut: { peak: 4000, peakAt: at(14) } }))).toEqual({
      rule: "predictive",
      kind: "scale_out",
      nodes: 3, // 4000 / 600 → 7 nodes
      emergency: false,
      reason: "predictive: forecast 4000 connections at 14:00 UTC > 4 nodes × 600; 7 nodes ready ahead of it",
    });
  });

  it("vetoes a scale-in that the demand of the next hour would need back", () => {
    const verdict = predictiveRule(input({}, { scaleOut: { peak: 1000, peakAt: at(13) }, scaleIn: { peak: 2300, peakAt: at(14) } }));
    expect(verdict).toMatchObject({ kind: "hold", reason: "predictive: forecast 2300 connections at 14:00 UTC needs 4 nodes" });
  });

  it("allows shedding what the next hour won't need", () => {
    const verdict = predictiveRule(input({}, { scaleOut: { peak: 500, peakAt: at(2) }, scaleIn: { peak: 1100, peakAt: at(3) } }));
    expect(verdict).toMatchObject({ kind: "allow_scale_in", removable: 2 });
  });
});

describe("(5) geographic", () => {
  it("scales out on the region's own demand, including users spilled elsewhere, that its nodes don't see", () => {
    const verdict = geographicRule(input({ demandConnections: 3600 }));
    expect(verdict).toMatchObject({
      kind: "scale_out",
      nodes: 2,
      emergency: false,
      reason: "geographic: us-east demand per node 900 > 700 on 4 ready nodes; 6 nodes bring it to 600",
    });
    // The node-reported signals of the same region are calm.
    expect(kinds(evaluateRules(input({ demandConnections: 3600 })))).toMatchObject({ cpu: "hold", connections: "hold", latency: "hold" });
  });

  it("allows a scale-in when the region's demand is low", () => {
    expect(geographicRule(input({ demandConnections: 600 }))).toMatchObject({ kind: "allow_scale_in", removable: 3 });
  });
});

describe("sizing lands inside the band", () => {
  it("a region sized by a scale-out never qualifies for a scale-in of the same load", () => {
    fc.assert(
      fc.property(fc.double({ min: 0.701, max: 1, noNaN: true }), fc.integer({ min: 1, max: 60 }), (cpu, ready) => {
        const out = cpuRule(input({ meanCpu: cpu, readyNodes: ready }));
        if (out.kind !== "scale_out") return false;
        const after = ready + out.nodes;
        const settled = cpuRule(input({ meanCpu: (cpu * ready) / after, readyNodes: after }));
        return settled.kind !== "allow_scale_in" && (cpu * ready) / after <= 0.6 + 1e-9;
      }),
    );
  });

  it("a region shrunk by a scale-in never qualifies for a scale-out of the same load", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 0.399, noNaN: true }), fc.integer({ min: 2, max: 60 }), (cpu, ready) => {
        const verdict = cpuRule(input({ meanCpu: cpu, readyNodes: ready }));
        if (verdict.kind !== "allow_scale_in") return true;
        const after = ready - verdict.removable;
        return after >= 1 && cpuRule(input({ meanCpu: (cpu * ready) / after, readyNodes: after })).kind !== "scale_out";
      }),
    );
  });
});
