import { RegionId } from "../../protocol/ids.ts";

/**
 * Thresholds, windows and bounds of the autoscaling policy. Every scale-out is sized so the signal that fired
 * lands at `capacity.targetUtilisation`, which sits inside the hysteresis band (scale-in threshold < target <
 * scale-out threshold): the action that answers one signal can never cross the opposite threshold.
 */
export interface AutoscaleConfig {
  cpu: { scaleOutAbove: number; scaleInBelow: number; emergencyAbove: number };
  connections: { scaleOutAbovePerNode: number; scaleInBelowPerNode: number; emergencyAbovePerNode: number };
  latency: { scaleOutAboveMs: number; scaleInBelowMs: number; emergencyAboveMs: number };
  capacity: {
    /** Connections one node is rated for: the 100% of the connection-based signals. */
    connectionsPerNode: number;
    /** What a scale-out sizes to, and the ceiling a scale-in must project under. */
    targetUtilisation: number;
    /** Region demand above this share of its capacity scales out (geographic rule). */
    scaleOutUtilisation: number;
    /** Region demand must sit below this share before the geographic rule allows a scale-in. */
    scaleInUtilisation: number;
  };
  predictive: {
    /** Width of one bucket of the learned daily demand profile; divides a day. */
    bucketMs: number;
    /** How far ahead a scale-out looks: at least node boot time plus the sustain window. */
    leadMs: number;
    /** How far ahead a scale-in looks: nodes are not shed an hour before a known peak. */
    scaleInLookaheadMs: number;
    /** Weight of the newest day in each bucket's exponentially weighted mean. */
    learningRate: number;
    /** Days a bucket must have seen before it is trusted. */
    minDays: number;
  };
  sustain: { scaleOutEvaluations: number; scaleOutMinMs: number; scaleInEvaluations: number; scaleInMinMs: number };
  cooldown: {
    /** Since the region's last scale-out. */
    scaleOutMs: number;
    /** An emergency skips the sustain window and waits only this long after a scale-out. */
    emergencyScaleOutMs: number;
    /** Since the region's last scale action of either kind; the longest wait, so capacity is shed slowly. */
    scaleInMs: number;
  };
  nodes: { min: number; max: number; maxScaleInStep: number };
  /** Per-region node bounds overriding `nodes.min`/`nodes.max`. */
  regionNodes: Partial<Record<RegionId, { min?: number; max?: number }>>;
  /** Samples older than this are ignored: no decision is taken on stale data. */
  sampleMaxAgeMs: number;
}

const minute = 60_000;

export const defaultAutoscaleConfig: AutoscaleConfig = {
  cpu: { scaleOutAbove: 0.7, scaleInBelow: 0.4, emergencyAbove: 0.9 },
  connections: { scaleOutAbovePerNode: 1000, scaleInBelowPerNode: 400, emergencyAbovePerNode: 1200 },
  latency: { scaleOutAboveMs: 100, scaleInBelowMs: 60, emergencyAboveMs: 250 },
  capacity: { connectionsPerNode: 1000, targetUtilisation: 0.6, scaleOutUtilisation: 0.7, scaleInUtilisation: 0.4 },
  predictive: { bucketMs: 15 * minute, leadMs: 30 * minute, scaleInLookaheadMs: 60 * minute, learningRate: 0.4, minDays: 1 },
  sustain: { scaleOutEvaluations: 3, scaleOutMinMs: 2 * minute, scaleInEvaluations: 10, scaleInMinMs: 9 * minute },
  cooldown: { scaleOutMs: 5 * minute, emergencyScaleOutMs: 2 * minute, scaleInMs: 20 * minute },
  nodes: { min: 2, max: 40, maxScaleInStep: 2 },
  regionNodes: {},
  sampleMaxAgeMs: 3 * minute,
};

export type AutoscaleConfigOverrides = {
  [K in keyof AutoscaleConfig]?: AutoscaleConfig[K] extends number ? number : Partial<AutoscaleConfig[K]>;
};

/** Defaults with overrides, checked once at start-up so a bad threshold can't make the policy flap. */
export function defineAutoscaleConfig(overrides: AutoscaleConfigOverrides = {}): AutoscaleConfig {
  const d = defaultAutoscaleConfig;
  const config: AutoscaleConfig = {
    cpu: { ...d.cpu, ...overrides.cpu },
    connections: { ...d.connections, ...overrides.connections },
    latency: { ...d.latency, ...overrides.latency },
    capacity: { ...d.capacity, ...overrides.capacity },
    predictive: { ...d.predictive, ...overrides.predictive },
    sustain: { ...d.sustain, ...overrides.sustain },
    cooldown: { ...d.cooldown, ...overrides.cooldown },
    nodes: { ...d.nodes, ...overrides.nodes },
    regionNodes: { ...d.regionNodes, ...overrides.regionNodes },
    sampleMaxAgeMs: overrides.sampleMaxAgeMs ?? d.sampleMaxAgeMs,
  };
  validate(config);
  return config;
}

function validate(c: AutoscaleConfig): void {
  const { targetUtilisation: target, connectionsPerNode } = c.capacity;
  const check = (ok: boolean, what: string) => {
    if (!ok) throw new RangeError(`autoscale config: ${what}`);
  };
  check(
    c.cpu.scaleInBelow < target && target < c.cpu.scaleOutAbove && c.cpu.scaleOutAbove <= c.cpu.emergencyAbove && c.cpu.emergencyAbove <= 1,
    "cpu needs scaleInBelow < targetUtilisation < scaleOutAbove <= emergencyAbove <= 1",
  );
  check(c.cpu.scaleInBelow > 0, "cpu.scaleInBelow must be positive");
  const perNodeTarget = connectionsPerNode * target;
  check(
    c.connections.scaleInBelowPerNode < perNodeTarget &&
      perNodeTarget < c.connections.scaleOutAbovePerNode &&
      c.connections.scaleOutAbovePerNode <= c.connections.emergencyAbovePerNode,
    "connections need scaleInBelowPerNode < connectionsPerNode × target < scaleOutAbovePerNode <= emergencyAbovePerNode",
  );
  check(
    c.latency.scaleInBelowMs < c.latency.scaleOutAboveMs && c.latency.scaleOutAboveMs <= c.latency.emergencyAboveMs,
    "latency needs scaleInBelowMs < scaleOutAboveMs <= emergencyAboveMs",
  );
  check(
    c.capacity.scaleInUtilisation < target && target < c.capacity.scaleOutUtilisation && connectionsPerNode > 0,
    "capacity needs scaleInUtilisation < targetUtilisation < scaleOutUtilisation",
  );
  check(
    Number.isInteger(c.predictive.bucketMs) && c.predictive.bucketMs > 0 && 86_400_000 % c.predictive.bucketMs === 0,
    "predictive.bucketMs must divide a day",
  );
  check(c.predictive.learningRate > 0 && c.predictive.learningRate <= 1, "predictive.learningRate must be in (0, 1]");
  check(
    c.predictive.leadMs > 0 && c.predictive.scaleInLookaheadMs >= c.predictive.leadMs,
    "predictive needs 0 < leadMs <= scaleInLookaheadMs",
  );
  check(
    c.sustain.scaleOutEvaluations >= 1 && c.sustain.scaleInEvaluations >= c.sustain.scaleOutEvaluations,
    "sustain: scale-in must wait at least as many evaluations as scale-out",
  );
  check(
    c.cooldown.emergencyScaleOutMs <= c.cooldown.scaleOutMs && c.cooldown.scaleOutMs < c.cooldown.scaleInMs,
    "cooldown needs emergencyScaleOutMs <= scaleOutMs < scaleInMs",
  );
  check(
    Number.isInteger(c.nodes.min) && c.nodes.min >= 1 && c.nodes.min <= c.nodes.max && c.nodes.maxScaleInStep >= 1,
    "nodes need 1 <= min <= max and maxScaleInStep >= 1",
  );
  for (const regionId of Object.keys(c.regionNodes)) {
    const { min, max } = nodeBounds(c, RegionId.parse(regionId));
    check(Number.isInteger(min) && min >= 1 && min <= max, `regionNodes.${regionId} needs 1 <= min <= max`);
  }
}

/** The node bounds that apply to one region. */
export function nodeBounds(config: AutoscaleConfig, regionId: RegionId): { min: number; max: number } {
  const region = config.regionNodes[regionId];
  return { min: region?.min ?? config.nodes.min, max: region?.max ?? config.nodes.max };
}
