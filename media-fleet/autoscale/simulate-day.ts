import { defaultAutoscaleConfig, type AutoscaleConfig } from "./autoscale-config.ts";
import { decide, type ScalingDecision } from "./autoscale-policy.ts";
import { initialAutoscaleState } from "./autoscale-state.ts";
import { dayMs } from "./demand-profile.ts";
import type { NodeMetricSample, RegionDemandSample } from "./metrics-sample.ts";
import { NodeId, RegionId } from "../../protocol/ids.ts";
import { seededRandom, symmetric, type Random } from "./seeded-random.ts";
import { regionDemandSeries, type FlashSpike, type RegionDemandSpec } from "./synthetic-demand.ts";

/**
 * Replays synthetic days through the policy with a simple fleet model: a new node serves traffic only after
 * it has booted; a region's traffic spreads evenly over its ready nodes up to a hard per-node limit, and what
 * does not fit spills to another region (it shows in the region's demand, not on its nodes). Learning days run
 * first, without the flash spike, so the predictive rule has a profile; only the last day is recorded.
 */

export interface SimulationOptions {
  seed: number;
  /** Midnight UTC of the recorded day. */
  dayStart: number;
  learningDays: number;
  stepMs: number;
  nodeBootMs: number;
  /** Connections a node accepts at most; the rest of the region's demand spills elsewhere. */
  nodeConnectionLimit: number;
  regions: RegionDemandSpec[];
  flashSpike: FlashSpike | null;
  config: AutoscaleConfig;
}

const minute = 60_000;
const region = (id: string) => RegionId.parse(id);

export const defaultSimulationOptions: SimulationOptions = {
  seed: 20_300_107,
  dayStart: Date.UTC(2030, 0, 7),
  learningDays: 3,
  stepMs: minute,
  nodeBootMs: 3 * minute,
  nodeConnectionLimit: 1200,
  regions: [
    { regionId: region("us-east"), utcOffsetHours: -5, baseConnections: 400, peakConnections: 9000 },
    { regionId: region("eu-west"), utcOffsetHours: 1, baseConnections: 300, peakConnections: 7000 },
    { regionId: region("ap-south"), utcOffsetHours: 5.5, baseConnections: 250, peakConnections: 5000 },
  ],
  // A live event in ap-south in its evening, which no past day predicts.
  flashSpike: {
    regionId: region("ap-south"),
    startMs: 13 * 60 * minute,
    rampMs: 4 * minute,
    holdMs: 35 * minute,
    decayMs: 10 * minute,
    extraConnections: 4500,
  },
  config: defaultAutoscaleConfig,
};

export interface NodePoint {
  nodeId: NodeId;
  cpu: number;
  connections: number;
  p95LatencyMs: number;
}

export interface RegionPoint {
  at: number;
  demand: number;
  /** Connections the region's own nodes serve (demand minus spill). */
  served: number;
  readyNodes: number;
  pendingNodes: number;
  meanCpu: number;
  meanP95LatencyMs: number;
  nodes: NodePoint[];
}

export interface RegionTimeline {
  regionId: RegionId;
  spec: RegionDemandSpec;
  points: RegionPoint[];
  decisions: ScalingDecision[];
}

export interface SimulationResult {
  dayStart: number;
  stepMs: number;
  flashSpike: FlashSpike | null;
  config: AutoscaleConfig;
  regions: RegionTimeline[];
}

interface FleetNode {
  id: NodeId;
  readyAt: number;
  /** Fixed share skew, so nodes are not identical. */
  skew: number;
}

/** CPU grows with connections; p95 stays flat until the node saturates, then climbs steeply. */
function nodeLoad(connections: number, random: Random): { cpu: number; p95LatencyMs: number } {
  const cpu = Math.min(1, Math.max(0, 0.05 + (0.85 * connections) / 1000 + 0.02 * symmetric(random)));
  const p95LatencyMs = 28 + 20 * cpu + 1500 * Math.max(0, cpu - 0.75) ** 2 + 4 * random();
  return { cpu: round(cpu, 3), p95LatencyMs: round(p95LatencyMs, 1) };
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

export function simulateDay(overrides: Partial<SimulationOptions> = {}): SimulationResult {
  const options = { ...defaultSimulationOptions, ...overrides };
  const { config, stepMs, nodeBootMs, nodeConnectionLimit } = options;
  const random = seededRandom(options.seed);
  let state = initialAutoscaleState;
  let nextNode = 1;
  const fleets = new Map<RegionId, FleetNode[]>(options.regions.map((spec) => [spec.regionId, []]));
  const timelines: RegionTimeline[] = options.regions.map((spec) => ({ regionId: spec.regionId, spec, points: [], decisions: [] }));

  for (let day = -options.learningDays; day <= 0; day++) {
    const start = options.dayStart + day * dayMs;
    const recorded = day === 0;
    const series = options.regions.map((spec, i) =>
      regionDemandSeries(spec, options.seed * 31 + (day + 100) * 7 + i, recorded ? options.flashSpike : null),
    );
    for (let at = start; at < start + dayMs; at += stepMs) {
      const nodeSamples: NodeMetricSample[] = [];
      const regionSamples: RegionDemandSample[] = [];
      const points = new Map<RegionId, RegionPoint>();
      options.regions.forEach((spec, i) => {
        const fleet = fleets.get(spec.regionId)!;
        const ready = fleet.filter((n) => n.readyAt <= at);
        const demand = series[i]!(at);
        const served = Math.min(demand, ready.length * nodeConnectionLimit);
        const nodes = ready.map((node): NodePoint => {
          const connections = Math.min(nodeConnectionLimit, Math.round((served / ready.length) * node.skew));
          return { nodeId: node.id, connections, ...nodeLoad(connections, random) };
        });
        for (const node of nodes) nodeSamples.push({ at, regionId: spec.regionId, ...node });
        regionSamples.push({
          at,
          regionId: spec.regionId,
          demandConnections: demand,
          readyNodes: ready.length,
          pendingNodes: fleet.length - ready.length,
        });
        const mean = (pick: (n: NodePoint) => number) => (nodes.length ? nodes.reduce((sum, n) => sum + pick(n), 0) / nodes.length : 0);
        points.set(spec.regionId, {
          at,
          demand,
          served,
          readyNodes: ready.length,
          pendingNodes: fleet.length - ready.length,
          meanCpu: round(
            mean((n) => n.cpu),
            3,
          ),
          meanP95LatencyMs: round(
            mean((n) => n.p95LatencyMs),
            1,
          ),
          nodes,
        });
      });

      const result = decide(state, { nodes: nodeSamples, regions: regionSamples }, at, config);
      state = result.state;
      for (const decision of result.decisions) {
        const fleet = fleets.get(decision.regionId)!;
        if (decision.action === "scale_out") {
          for (let k = 0; k < decision.count; k++)
            fleet.push({
              id: NodeId.parse(`${decision.regionId}-${nextNode++}`),
              readyAt: at + nodeBootMs,
              skew: 1 + 0.06 * symmetric(random),
            });
        } else {
          // Drain the newest nodes first (booting ones before serving ones).
          fleet.sort((a, b) => a.readyAt - b.readyAt).splice(Math.max(0, fleet.length - decision.count));
        }
      }
      if (!recorded) continue;
      for (const timeline of timelines) {
        timeline.points.push(points.get(timeline.regionId)!);
        timeline.decisions.push(...result.decisions.filter((d) => d.regionId === timeline.regionId));
      }
    }
  }
  return { dayStart: options.dayStart, stepMs, flashSpike: options.flashSpike, config, regions: timelines };
}

export interface RegionSummary {
  regionId: RegionId;
  peakLoad: number;
  peakNodes: number;
  /** Peak ready nodes × rated connections per node. */
  peakCapacity: number;
  scaleOuts: number;
  nodesAdded: number;
  scaleIns: number;
  nodesRemoved: number;
  /** Minutes the region's mean CPU was above the 70% scale-out threshold. */
  minutesOver70Cpu: number;
  /** Node-minutes paid for (booting nodes included). */
  nodeMinutes: number;
  /** What a fixed fleet sized for the peak would have cost. */
  staticNodeMinutes: number;
  /** Connection-minutes served from another region because this one was full. */
  spilledConnectionMinutes: number;
}

export function summariseSimulation(result: SimulationResult): RegionSummary[] {
  const stepMinutes = result.stepMs / minute;
  return result.regions.map(({ regionId, points, decisions }) => {
    const peakNodes = Math.max(...points.map((p) => p.readyNodes));
    const outs = decisions.filter((d) => d.action === "scale_out");
    const ins = decisions.filter((d) => d.action === "scale_in");
    return {
      regionId,
      peakLoad: Math.max(...points.map((p) => p.demand)),
      peakNodes,
      peakCapacity: peakNodes * result.config.capacity.connectionsPerNode,
      scaleOuts: outs.length,
      nodesAdded: outs.reduce((sum, d) => sum + d.count, 0),
      scaleIns: ins.length,
      nodesRemoved: ins.reduce((sum, d) => sum + d.count, 0),
      minutesOver70Cpu: points.filter((p) => p.meanCpu > result.config.cpu.scaleOutAbove).length * stepMinutes,
      nodeMinutes: points.reduce((sum, p) => sum + p.readyNodes + p.pendingNodes, 0) * stepMinutes,
      staticNodeMinutes: Math.max(...points.map((p) => p.readyNodes + p.pendingNodes)) * points.length * stepMinutes,
      spilledConnectionMinutes: points.reduce((sum, p) => sum + p.demand - p.served, 0) * stepMinutes,
    };
  });
}
