import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defaultAutoscaleConfig, defineAutoscaleConfig, type AutoscaleConfig } from "./autoscale-config.ts";
import { decide, type ScalingDecision } from "./autoscale-policy.ts";
import { initialAutoscaleState, type AutoscaleState } from "./autoscale-state.ts";
import { dayMs } from "./demand-profile.ts";
import type { MetricSamples } from "./metrics-sample.ts";
import type { NodeId, RegionId } from "../../protocol/ids.ts";
import { seededRandom, symmetric } from "./seeded-random.ts";

const minute = 60_000;
const t0 = Date.UTC(2030, 0, 7, 8);
const east = "us-east" as RegionId;
const west = "eu-west" as RegionId;

/** One region's readings at one evaluation; unset signals sit inside their hysteresis bands. */
interface Load {
  regionId?: RegionId;
  ready?: number;
  pending?: number;
  cpu?: number;
  connections?: number;
  p95?: number;
  /** Region demand; defaults to what its nodes serve. */
  demand?: number;
}
const calm: Load = { cpu: 0.2, connections: 200, p95: 40 };

function samplesAt(at: number, loads: Load[]): MetricSamples {
  const samples: MetricSamples = { nodes: [], regions: [] };
  for (const { regionId = east, ready = 4, pending = 0, cpu = 0.55, connections = 500, p95 = 80, demand } of loads) {
    for (let i = 0; i < ready; i++)
      samples.nodes.push({ at, regionId, nodeId: `${regionId}-${i}` as NodeId, cpu, connections, p95LatencyMs: p95 });
    samples.regions.push({ at, regionId, demandConnections: demand ?? ready * connections, readyNodes: ready, pendingNodes: pending });
  }
  return samples;
}

/** Evaluates once a minute with a fleet that does not react (the inventory is whatever `load` says). */
function run(
  minutes: number,
  load: (m: number) => Load | Load[],
  options: { state?: AutoscaleState; start?: number; config?: AutoscaleConfig } = {},
) {
  let state = options.state ?? initialAutoscaleState;
  const start = options.start ?? t0;
  const decisions: ScalingDecision[] = [];
  for (let m = 0; m < minutes; m++) {
    const at = start + m * minute;
    const result = decide(state, samplesAt(at, [load(m)].flat()), at, options.config);
    state = result.state;
    decisions.push(...result.decisions);
  }
  return { state, decisions, minutes: decisions.map((d) => (d.at - start) / minute) };
}

/**
 * A fleet that carries decisions out: new nodes serve after `bootMinutes`; the region's load (in cores)
 * spreads evenly over ready nodes; each node and the demand reading get noise of ±`noise`.
 */
function closedLoop(options: {
  minutes: number;
  load: (at: number) => number;
  nodes: number;
  noise?: number;
  seed?: number;
  start?: number;
  state?: AutoscaleState;
  serialise?: boolean;
}) {
  const { minutes, load, noise = 0, start = t0 } = options;
  const random = seededRandom(options.seed ?? 1);
  let state = options.state ?? initialAutoscaleState;
  let fleet = Array.from({ length: options.nodes }, () => -Infinity); // readyAt per node
  const decisions: ScalingDecision[] = [];
  const cpuByMinute: number[] = [];
  for (let m = 0; m < minutes; m++) {
    const at = start + m * minute;
    const ready = fleet.filter((readyAt) => readyAt <= at).length;
    const perNode = load(at) / ready;
    const samples: MetricSamples = { nodes: [], regions: [] };
    for (let i = 0; i < ready; i++) {
      const cpu = Math.min(1, Math.max(0, perNode + noise * symmetric(random)));
      samples.nodes.push({ at, regionId: east, nodeId: `n${i}` as NodeId, cpu, connections: Math.round(cpu * 1000), p95LatencyMs: 45 });
    }
    const demand = Math.max(0, Math.round((perNode + noise * symmetric(random)) * ready * 1000));
    samples.regions.push({ at, regionId: east, demandConnections: demand, readyNodes: ready, pendingNodes: fleet.length - ready });
    cpuByMinute.push(perNode);
    const result = decide(options.serialise ? JSON.parse(JSON.stringify(state)) : state, samples, at);
    state = result.state;
    for (const decision of result.decisions) {
      decisions.push(decision);
      if (decision.action === "scale_out") fleet = [...fleet, ...Array.from({ length: decision.count }, () => at + 3 * minute)];
      else fleet = fleet.sort((a, b) => a - b).slice(0, fleet.length - decision.count);
    }
  }
  return { state, decisions, cpuByMinute };
}

/** How often consecutive decisions change direction: a flapping policy alternates. */
const directionChanges = (decisions: ScalingDecision[]) =>
  decisions.filter((d, i) => i > 0 && d.action !== decisions[i - 1]!.action).length;

describe("each rule drives a decision on its own input", () => {
  it.each([
    ["cpu", { cpu: 0.8 }],
    ["connections", { connections: 1100, demand: 2000 }],
    ["latency", { p95: 140 }],
    ["geographic", { demand: 3600 }],
  ] as const)("%s", (rule, load) => {
    const { decisions } = run(3, () => load);
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({ regionId: east, action: "scale_out", at: t0 + 2 * minute });
    expect(decisions[0]!.reasons.map((r) => r.split(":")[0])).toEqual([rule, "sustained for 3 evaluations over 2 min".split(":")[0]]);
  });

  it("a scale-in lists every rule's consent with its figures", () => {
    const { decisions } = run(10, () => ({ ...calm, ready: 6 }));
    expect(decisions).toEqual([{ regionId: east, action: "scale_in", count: 2, at: t0 + 9 * minute, reasons: expect.any(Array) }]);
    expect(decisions[0]!.reasons).toEqual([
      "cpu: mean 20% < 40%; 2 nodes would run at 60% <= 60%",
      "connections: per node 200 < 400; 2 nodes would run at 600 <= 600",
      "latency: mean p95 40 ms < 60 ms",
      "predictive: no learned profile yet",
      "geographic: us-east demand per node 200 < 400; 2 nodes would run at 600 <= 600",
      "sustained for 10 evaluations over 9 min",
    ]);
  });
});

describe("sustain windows", () => {
  it("a signal that lasts two evaluations does nothing", () => {
    expect(run(60, (m) => (m % 10 < 2 ? { cpu: 0.8 } : {})).decisions).toEqual([]);
  });

  it("a region missing from one evaluation starts its window over", () => {
    let state = initialAutoscaleState;
    const acted: number[] = [];
    for (let m = 0; m < 6; m++) {
      const at = t0 + m * minute;
      const result = decide(state, m === 2 ? samplesAt(at, [{ regionId: west }]) : samplesAt(at, [{ cpu: 0.8 }]), at);
      state = result.state;
      acted.push(...result.decisions.map(() => m));
    }
    expect(acted).toEqual([5]);
  });

  it("a sustained scale-out is sized by what the whole window agreed on, not its highest reading", () => {
    const readings = [0.72, 0.89, 0.75];
    expect(run(3, (m) => ({ cpu: readings[m] })).decisions[0]).toMatchObject({ action: "scale_out", count: 1 });
  });

  it("an emergency acts on the first evaluation", () => {
    const { decisions } = run(1, () => ({ cpu: 0.97 }));
    expect(decisions).toEqual([
      {
        regionId: east,
        action: "scale_out",
        count: 3,
        at: t0,
        reasons: expect.arrayContaining(["emergency: acted without waiting for the sustain window"]),
      },
    ]);
    expect(decisions[0]!.reasons[0]).toContain("(emergency > 90%)");
  });

  it("an emergency still counts nodes already booting", () => {
    expect(run(5, () => ({ cpu: 0.97, pending: 4 })).decisions).toEqual([]);
  });
});

describe("cooldowns", () => {
  it("scale-outs of a region are at least 5 minutes apart", () => {
    expect(run(20, () => ({ cpu: 0.8 })).minutes).toEqual([2, 7, 12, 17]);
  });

  it("emergencies are at least 2 minutes apart", () => {
    expect(run(7, () => ({ cpu: 0.97 })).minutes).toEqual([0, 2, 4, 6]);
  });

  it("scale-ins of a region are at least 20 minutes apart", () => {
    expect(run(60, () => ({ ...calm, ready: 12 })).minutes).toEqual([9, 29, 49]);
  });

  it("no scale-in within 20 minutes of a scale-out", () => {
    const { decisions, minutes } = run(40, (m) => (m < 3 ? { cpu: 0.8, ready: 10 } : { ...calm, ready: 10 }));
    expect(decisions.map((d) => d.action)).toEqual(["scale_out", "scale_in"]);
    expect(minutes).toEqual([2, 22]);
  });

  it("cooldowns are per region: one region's action does not hold another back", () => {
    const { decisions } = run(3, () => [{ cpu: 0.8 }, { regionId: west, cpu: 0.8 }]);
    expect(decisions.map((d) => d.regionId)).toEqual([west, east]);
  });
});

describe("hysteresis", () => {
  it("signals wandering anywhere inside the bands never act", () => {
    const random = seededRandom(7);
    const between = (low: number, high: number) => low + (high - low) * random();
    const { decisions } = run(6 * 60, () => ({
      cpu: between(0.41, 0.69),
      connections: Math.round(between(401, 999)),
      p95: between(61, 99),
      demand: Math.round(4 * between(401, 699)),
    }));
    expect(decisions).toEqual([]);
  });

  it("cpu under 40% does not scale in when the remaining nodes would run over 60%", () => {
    expect(run(120, () => ({ ...calm, cpu: 0.35, ready: 2 }), { config: defineAutoscaleConfig({ nodes: { min: 1 } }) }).decisions).toEqual(
      [],
    );
  });
});

describe("never flaps", () => {
  it("cpu alternating 65% / 75% every sample acts neither way", () => {
    expect(run(6 * 60, (m) => ({ cpu: m % 2 ? 0.75 : 0.65 })).decisions).toEqual([]);
  });

  it("cpu alternating 30% / 75% every sample acts neither way", () => {
    expect(run(6 * 60, (m) => ({ ...calm, cpu: m % 2 ? 0.75 : 0.3 })).decisions).toEqual([]);
  });

  it("a fleet whose load swings 65% / 75% every minute stays put", () => {
    const { decisions } = closedLoop({ minutes: 6 * 60, nodes: 4, load: (at) => ((at / minute) % 2 ? 3 : 2.6) });
    expect(decisions).toEqual([]);
  });

  it.each([
    ["just above the scale-out threshold", 0.72, 4, ["scale_out"]],
    ["on the scale-out threshold", 0.7, 4, ["scale_out"]],
    ["on the scale-in threshold", 0.4, 6, []],
    ["just under the scale-in threshold", 0.38, 8, ["scale_in"]],
  ] as const)("noisy load %s (±6% per reading) settles without alternating", (_, perNode, nodes, actions) => {
    const { decisions } = closedLoop({ minutes: 8 * 60, nodes, load: () => perNode * nodes, noise: 0.06, seed: 11 });
    expect([...new Set(decisions.map((d) => d.action))]).toEqual(actions);
    expect(directionChanges(decisions)).toBe(0);
  });

  it("for any steady load and noise up to ±15%, decisions never change direction", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.5, max: 15, noNaN: true }),
        fc.integer({ min: 2, max: 30 }),
        fc.double({ min: 0, max: 0.15, noNaN: true }),
        fc.integer(),
        (load, nodes, noise, seed) => {
          const { decisions } = closedLoop({ minutes: 6 * 60, nodes, load: () => load, noise, seed });
          return directionChanges(decisions) === 0;
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("node bounds", () => {
  it("tops a region up to its minimum at once", () => {
    expect(run(1, () => ({ ready: 1 })).decisions).toEqual([
      { regionId: east, action: "scale_out", count: 1, at: t0, reasons: ["min_nodes: 1 nodes < minimum 2"] },
    ]);
  });

  it("honours a per-region minimum", () => {
    const config = defineAutoscaleConfig({ regionNodes: { [west]: { min: 5 } } });
    expect(run(1, () => [{ ready: 2 }, { regionId: west, ready: 2 }], { config }).decisions).toEqual([
      { regionId: west, action: "scale_out", count: 3, at: t0, reasons: ["min_nodes: 2 nodes < minimum 5"] },
    ]);
  });

  it("never scales in below the minimum", () => {
    expect(run(3 * 60, () => ({ ...calm, ready: 2 })).decisions).toEqual([]);
  });

  it("never scales out past the maximum, and says so when capped", () => {
    const config = defineAutoscaleConfig({ nodes: { max: 6 } });
    expect(run(10, () => ({ cpu: 0.97, ready: 6 }), { config }).decisions).toEqual([]);
    const capped = run(1, () => ({ cpu: 0.97, ready: 4 }), { config }).decisions[0]!;
    expect(capped).toMatchObject({ action: "scale_out", count: 2 });
    expect(capped.reasons.at(-1)).toBe("max_nodes: capped at 6");
  });

  it("sheds nodes above a lowered maximum", () => {
    const config = defineAutoscaleConfig({ nodes: { max: 6 } });
    expect(run(1, () => ({ ready: 8 }), { config }).decisions).toEqual([
      { regionId: east, action: "scale_in", count: 2, at: t0, reasons: ["max_nodes: 8 nodes > maximum 6"] },
    ]);
  });
});

describe("(4) predictive scaling", () => {
  // A sharp ramp from 1 to 8 cores between 13:00 and 14:00 UTC, held until 16:00.
  const peakStart = (day: number) => Date.UTC(2030, 0, 7 + day, 14);
  const load = (at: number) => {
    const h = (at % dayMs) / 3_600_000;
    if (h < 13 || h >= 17) return 1;
    if (h < 14) return 1 + 7 * (h - 13);
    if (h < 16) return 8;
    return 8 - 7 * (h - 16);
  };
  const start = Date.UTC(2030, 0, 7);
  const twoDays = closedLoop({ minutes: 2 * 24 * 60, nodes: 2, load, start });
  const minutesOver70 = (cpu: number[]) => cpu.filter((c) => c > 0.7).length;

  it("without a profile, the first day is caught late by the reactive rules", () => {
    const firstDay = twoDays.decisions.filter((d) => d.at < start + dayMs && d.action === "scale_out");
    expect(firstDay.every((d) => !d.reasons.some((r) => r.startsWith("predictive:")))).toBe(true);
    expect(minutesOver70(twoDays.cpuByMinute.slice(0, 24 * 60))).toBeGreaterThan(5);
  });

  it("on the next day, scales out before the peak and the ramp, and never runs hot", () => {
    const secondDay = twoDays.decisions.filter((d) => d.at >= start + dayMs);
    const first = secondDay.find((d) => d.action === "scale_out")!;
    expect(first.reasons[0]).toMatch(/^predictive: forecast \d+ connections at 1\d:\d\d UTC/);
    expect(first.at).toBeLessThan(peakStart(1));
    // Ahead of the ramp itself: when it acted, demand was still at its overnight level.
    expect(load(first.at)).toBe(1);
    expect(
      secondDay.filter((d) => d.action === "scale_out" && d.at < peakStart(1)).every((d) => d.reasons[0]!.startsWith("predictive:")),
    ).toBe(true);
    expect(minutesOver70(twoDays.cpuByMinute.slice(24 * 60))).toBe(0);
  });

  it("does not shed nodes an hour before a learned peak", () => {
    const secondDay = twoDays.decisions.filter((d) => d.at >= start + dayMs && d.action === "scale_in");
    expect(secondDay.filter((d) => d.at > peakStart(1) - 60 * minute && d.at < peakStart(1) + 2 * 3_600_000)).toEqual([]);
  });
});

describe("(5) geographic: capacity is decided per region", () => {
  it("a busy region scales out while a quiet one scales in, in the same evaluation", () => {
    // eu-west is quiet from the start; us-east's users start spilling at minute 7.
    const { decisions } = run(10, (m) => [{ demand: m >= 7 ? 4200 : 2000 }, { ...calm, regionId: west, ready: 8 }]);
    expect(decisions).toEqual([
      { regionId: west, action: "scale_in", count: 2, at: t0 + 9 * minute, reasons: expect.any(Array) },
      { regionId: east, action: "scale_out", count: 3, at: t0 + 9 * minute, reasons: expect.any(Array) },
    ]);
    expect(decisions[1]!.reasons[0]).toBe("geographic: us-east demand per node 1050 > 700 on 4 ready nodes; 7 nodes bring it to 600");
  });
});

describe("state", () => {
  it("is plain data: a JSON round trip at every step changes no decision", () => {
    const load = (at: number) => 2 + 3 * Math.sin(at / (90 * minute)) ** 2;
    const direct = closedLoop({ minutes: 8 * 60, nodes: 4, load, noise: 0.05, seed: 3 });
    const stored = closedLoop({ minutes: 8 * 60, nodes: 4, load, noise: 0.05, seed: 3, serialise: true });
    expect(direct.decisions.length).toBeGreaterThan(0);
    expect(stored.decisions).toEqual(direct.decisions);
    expect(JSON.parse(JSON.stringify(direct.state))).toEqual(direct.state);
  });

  it("ignores an evaluation at or before the last one, so a retried tick can't act twice", () => {
    const first = decide(initialAutoscaleState, samplesAt(t0, [{ cpu: 0.97 }]), t0);
    expect(first.decisions).toHaveLength(1);
    expect(decide(first.state, samplesAt(t0, [{ cpu: 0.97 }]), t0)).toEqual({ state: first.state, decisions: [] });
    expect(decide(first.state, samplesAt(t0 - minute, [{ cpu: 0.97 }]), t0 - minute).decisions).toEqual([]);
  });

  it("takes no decision on stale samples, nor on samples from the future", () => {
    expect(decide(initialAutoscaleState, samplesAt(t0 - 4 * minute, [{ cpu: 0.97 }]), t0).decisions).toEqual([]);
    expect(decide(initialAutoscaleState, samplesAt(t0 + minute, [{ cpu: 0.97 }]), t0).decisions).toEqual([]);
  });

  it("never mutates the state it is given", () => {
    const { state } = run(30, () => ({ cpu: 0.8 }));
    const copy = structuredClone(state);
    decide(state, samplesAt(t0 + 31 * minute, [{ cpu: 0.97 }]), t0 + 31 * minute);
    expect(state).toEqual(copy);
  });

  it("uses the default config when none is given", () => {
    expect(run(3, () => ({ cpu: 0.8 }), { config: defaultAutoscaleConfig }).decisions).toEqual(run(3, () => ({ cpu: 0.8 })).decisions);
  });
});

describe("config", () => {
  it.each([
    ["a scale-in threshold above the target", { cpu: { scaleInBelow: 0.65 } }],
    ["a scale-out threshold under the target", { cpu: { scaleOutAbove: 0.5 } }],
    ["a bucket that does not divide a day", { predictive: { bucketMs: 7 * minute } }],
    ["a scale-in cooldown shorter than the scale-out one", { cooldown: { scaleInMs: minute } }],
    ["a minimum above the maximum", { nodes: { min: 5, max: 3 } }],
    ["a region minimum of zero", { regionNodes: { [east]: { min: 0 } } }],
  ])("refuses %s", (_, overrides) => {
    expect(() => defineAutoscaleConfig(overrides)).toThrow(RangeError);
  });
});
