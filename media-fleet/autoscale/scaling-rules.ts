import type { AutoscaleConfig } from "./autoscale-config.ts";
import type { DemandForecast } from "./demand-profile.ts";
import type { RegionSnapshot } from "./region-snapshot.ts";

/**
 * The five scaling rules. Each looks at one signal of one region and says whether that signal wants more
 * nodes (and how many, counting nodes already booting), would tolerate fewer (and how many fewer keep it under
 * the target), or neither. The policy combines the verdicts: any rule can scale a region out; a scale-in needs
 * every rule's consent.
 */

export const ruleIds = ["cpu", "connections", "latency", "predictive", "geographic"] as const;
export type RuleId = (typeof ruleIds)[number];

export type RuleVerdict =
  | { rule: RuleId; kind: "scale_out"; nodes: number; emergency: boolean; reason: string }
  /** `removable`: the most nodes this signal lets go (Infinity when it has no say in how many). */
  | { rule: RuleId; kind: "allow_scale_in"; removable: number; reason: string }
  | { rule: RuleId; kind: "hold"; reason: string };

export interface RuleInput {
  snapshot: RegionSnapshot;
  config: AutoscaleConfig;
  /** Learned demand over the scale-out lead window and the longer scale-in lookahead; null while learning. */
  forecast: { scaleOut: DemandForecast | null; scaleIn: DemandForecast | null };
}

export type ScalingRule = (input: RuleInput) => RuleVerdict;

// Float noise must not turn "exactly 3 nodes' worth" into 4.
const nodesFor = (load: number, perNodeTarget: number) => Math.max(1, Math.ceil(load / perNodeTarget - 1e-9));
const pct = (share: number) => `${Math.round(share * 100)}%`;
const count = (value: number) => `${Math.round(value)}`;
const nodeCount = (k: number) => `${k} node${k === 1 ? "" : "s"}`;
const utc = (at: number) => `${new Date(at).toISOString().slice(11, 16)} UTC`;

interface UtilisationSignal {
  rule: RuleId;
  label: string;
  format: (value: number) => string;
  /** The signal per ready node; null when nothing was measured. */
  perNode: number | null;
  outAbove: number;
  inBelow: number;
  target: number;
  emergencyAbove: number;
}

/**
 * A signal that scales linearly with nodes (load spreads evenly): out above `outAbove`, sized so it lands at
 * `target` across ready and booting nodes; in below `inBelow` only as far as the rest stays at or under `target`.
 */
function utilisationVerdict(s: UtilisationSignal, snapshot: RegionSnapshot): RuleVerdict {
  const { readyNodes: ready, pendingNodes: pending } = snapshot;
  const { rule, label, format: f } = s;
  if (s.perNode === null || ready === 0) return { rule, kind: "hold", reason: `${rule}: nothing measured` };
  const load = s.perNode * ready;
  const wanted = nodesFor(load, s.target);
  if (s.perNode > s.outAbove) {
    const nodes = wanted - ready - pending;
    const figure = `${rule}: ${label} ${f(s.perNode)} > ${f(s.outAbove)} on ${ready} ready node${ready === 1 ? "" : "s"}`;
    if (nodes <= 0) return { rule, kind: "hold", reason: `${figure}, covered by ${pending} booting` };
    const emergency = s.perNode > s.emergencyAbove;
    return {
      rule,
      kind: "scale_out",
      nodes,
      emergency,
      reason: `${figure}${emergency ? ` (emergency > ${f(s.emergencyAbove)})` : ""}; ${nodeCount(wanted)} bring it to ${f(load / wanted)}`,
    };
  }
  if (s.perNode < s.inBelow) {
    const removable = ready - wanted;
    const figure = `${rule}: ${label} ${f(s.perNode)} < ${f(s.inBelow)}`;
    if (removable <= 0)
      return {
        rule,
        kind: "hold",
        reason: `${figure} but ${nodeCount(ready - 1)} would run at ${f(load / Math.max(1, ready - 1))} > ${f(s.target)}`,
      };
    return {
      rule,
      kind: "allow_scale_in",
      removable,
      reason: `${figure}; ${nodeCount(wanted)} would run at ${f(load / wanted)} <= ${f(s.target)}`,
    };
  }
  return { rule, kind: "hold", reason: `${rule}: ${label} ${f(s.perNode)} within ${f(s.inBelow)}..${f(s.outAbove)}` };
}

/** (1) CPU: mean CPU of the region's nodes above 70% scales out; below 40% allows a scale-in. */
export const cpuRule: ScalingRule = ({ snapshot, config: { cpu, capacity } }) =>
  utilisationVerdict(
    {
      rule: "cpu",
      label: "mean",
      format: pct,
      perNode: snapshot.meanCpu,
      outAbove: cpu.scaleOutAbove,
      inBelow: cpu.scaleInBelow,
      target: capacity.targetUtilisation,
      emergencyAbove: cpu.emergencyAbove,
    },
    snapshot,
  );

/** (2) Connections: more than 1000 served connections per node scales out. */
export const connectionsRule: ScalingRule = ({ snapshot, config: { connections, capacity } }) =>
  utilisationVerdict(
    {
      rule: "connections",
      label: "per node",
      format: count,
      perNode: snapshot.connectionsPerNode,
      outAbove: connections.scaleOutAbovePerNode,
      inBelow: connections.scaleInBelowPerNode,
      target: capacity.connectionsPerNode * capacity.targetUtilisation,
      emergencyAbove: connections.emergencyAbovePerNode,
    },
    snapshot,
  );

/**
 * (3) Latency: P95 above 100 ms adds one node at a time; latency does not scale linearly with nodes, so it is
 * never used to size, and while nodes are booting it waits for them.
 */
export const latencyRule: ScalingRule = ({ snapshot, config: { latency } }) => {
  const rule = "latency";
  const p95 = snapshot.meanP95LatencyMs;
  if (p95 === null || snapshot.readyNodes === 0) return { rule, kind: "hold", reason: "latency: no p95 measured" };
  const figure = `latency: mean p95 ${Math.round(p95)} ms`;
  if (p95 > latency.scaleOutAboveMs) {
    if (snapshot.pendingNodes > 0)
      return { rule, kind: "hold", reason: `${figure} > ${latency.scaleOutAboveMs} ms, covered by ${snapshot.pendingNodes} booting` };
    const emergency = p95 > latency.emergencyAboveMs;
    return {
      rule,
      kind: "scale_out",
      nodes: 1,
      emergency,
      reason: `${figure} > ${latency.scaleOutAboveMs} ms${emergency ? ` (emergency > ${latency.emergencyAboveMs} ms)` : ""}; +1 node`,
    };
  }
  if (p95 < latency.scaleInBelowMs)
    return { rule, kind: "allow_scale_in", removable: Infinity, reason: `${figure} < ${latency.scaleInBelowMs} ms` };
  return { rule, kind: "hold", reason: `${figure} within ${latency.scaleInBelowMs}..${latency.scaleOutAboveMs} ms` };
};

/**
 * (4) Predictive: when the learned demand for the next lead window exceeds what ready and booting nodes carry
 * at the target utilisation, scale out now so the nodes are ready before the peak. It also vetoes a scale-in
 * that the demand expected within the (longer) scale-in lookahead would need back.
 */
export const predictiveRule: ScalingRule = ({ snapshot, config: { capacity }, forecast }) => {
  const rule = "predictive";
  const ahead = forecast.scaleOut;
  if (!ahead) return { rule, kind: "allow_scale_in", removable: Infinity, reason: "predictive: no learned profile yet" };
  const { readyNodes: ready, pendingNodes: pending } = snapshot;
  const perNodeTarget = capacity.connectionsPerNode * capacity.targetUtilisation;
  const have = ready + pending;
  if (ahead.peak > have * perNodeTarget) {
    const wanted = nodesFor(ahead.peak, perNodeTarget);
    return {
      rule,
      kind: "scale_out",
      nodes: wanted - have,
      emergency: false,
      reason: `predictive: forecast ${count(ahead.peak)} connections at ${utc(ahead.peakAt)} > ${nodeCount(have)} × ${count(perNodeTarget)}; ${nodeCount(wanted)} ready ahead of it`,
    };
  }
  const later = forecast.scaleIn ?? ahead;
  const wanted = nodesFor(later.peak, perNodeTarget);
  if (ready - wanted <= 0)
    return {
      rule,
      kind: "hold",
      reason: `predictive: forecast ${count(later.peak)} connections at ${utc(later.peakAt)} needs ${nodeCount(wanted)}`,
    };
  return {
    rule,
    kind: "allow_scale_in",
    removable: ready - wanted,
    reason: `predictive: forecast peak ${count(later.peak)} connections at ${utc(later.peakAt)} fits ${nodeCount(wanted)}`,
  };
};

/**
 * (5) Geographic: the region's own demand, including its users spilled to a farther region because it was
 * full, against the region's capacity. Each region is sized on its own, so a busy region grows while a quiet
 * one shrinks in the same evaluation.
 */
export const geographicRule: ScalingRule = ({ snapshot, config: { capacity } }) => {
  const { readyNodes: ready, demandConnections: demand } = snapshot;
  return utilisationVerdict(
    {
      rule: "geographic",
      label: `${snapshot.regionId} demand per node`,
      format: count,
      perNode: ready > 0 ? demand / ready : null,
      outAbove: capacity.connectionsPerNode * capacity.scaleOutUtilisation,
      inBelow: capacity.connectionsPerNode * capacity.scaleInUtilisation,
      target: capacity.connectionsPerNode * capacity.targetUtilisation,
      emergencyAbove: Infinity,
    },
    snapshot,
  );
};

export const scalingRules: Record<RuleId, ScalingRule> = {
  cpu: cpuRule,
  connections: connectionsRule,
  latency: latencyRule,
  predictive: predictiveRule,
  geographic: geographicRule,
};

export function evaluateRules(input: RuleInput): RuleVerdict[] {
  return ruleIds.map((id) => scalingRules[id](input));
}
