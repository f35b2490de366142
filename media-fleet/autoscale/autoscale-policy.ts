import { defaultAutoscaleConfig, nodeBounds, type AutoscaleConfig } from "./autoscale-config.ts";
import { extendStreak, regionState, type AutoscaleState, type RegionAutoscaleState } from "./autoscale-state.ts";
import { forecastDemand, learnDemand } from "./demand-profile.ts";
import type { MetricSamples } from "./metrics-sample.ts";
import type { RegionId } from "../../protocol/ids.ts";
import { snapshotRegions, type RegionSnapshot } from "./region-snapshot.ts";
import { evaluateRules, type RuleVerdict } from "./scaling-rules.ts";

/**
 * The autoscaling policy: samples in, per-region scale decisions out. Pure and deterministic; the caller (a
 * cron Worker or the fleet adapter) keeps the state and carries the decisions out.
 *
 * Never flapping rests on four things: a signal must hold for a sustain window before acting (only an
 * emergency skips it); every action is sized to land inside the hysteresis band; a scale-in needs every rule's
 * consent for a longer window; and the scale-in cooldown counts from the last action of either kind.
 */

export type ScaleAction = "scale_out" | "scale_in";

export interface ScalingDecision {
  regionId: RegionId;
  action: ScaleAction;
  /** Nodes to add or remove. */
  count: number;
  /** One line per rule that drove the decision (`cpu: mean cpu 78% > 70% …`), then why it acted now. */
  reasons: string[];
  at: number;
}

export interface DecideResult {
  state: AutoscaleState;
  decisions: ScalingDecision[];
}

export function decide(
  state: AutoscaleState,
  samples: MetricSamples,
  now: number,
  config: AutoscaleConfig = defaultAutoscaleConfig,
): DecideResult {
  if (state.lastEvaluatedAt !== null && now <= state.lastEvaluatedAt) return { state, decisions: [] };
  const { bucketMs, learningRate } = config.predictive;
  const regions = { ...state.regions };

  // Every demand sample of the batch feeds the profile, oldest first, not just the latest per region.
  for (const sample of samples.regions.filter((s) => s.at <= now).sort((a, b) => a.at - b.at)) {
    const region = regionState(regions[sample.regionId], bucketMs);
    regions[sample.regionId] = { ...region, profile: learnDemand(region.profile, sample.at, sample.demandConnections, learningRate) };
  }

  const decisions: ScalingDecision[] = [];
  const evaluated = new Set<RegionId>();
  for (const snapshot of snapshotRegions(samples, now, config.sampleMaxAgeMs)) {
    evaluated.add(snapshot.regionId);
    const { region, decision } = evaluateRegion(regionState(regions[snapshot.regionId], bucketMs), snapshot, now, config);
    regions[snapshot.regionId] = region;
    if (decision) decisions.push(decision);
  }
  // "Sustained" means consecutive evaluations: a region missing from this one starts its windows over.
  for (const [regionId, region] of Object.entries(regions) as [RegionId, RegionAutoscaleState][]) {
    if (!evaluated.has(regionId) && (region.outStreak || region.inStreak))
      regions[regionId] = { ...region, outStreak: null, inStreak: null };
  }
  return { state: { lastEvaluatedAt: now, regions }, decisions };
}

type RegionResult = { region: RegionAutoscaleState; decision: ScalingDecision | null };

function evaluateRegion(region: RegionAutoscaleState, snapshot: RegionSnapshot, now: number, config: AutoscaleConfig): RegionResult {
  const { min, max } = nodeBounds(config, snapshot.regionId);
  const total = snapshot.readyNodes + snapshot.pendingNodes;
  const act = (action: ScaleAction, count: number, reasons: string[]): RegionResult => ({
    region: { ...region, outStreak: null, inStreak: null, ...(action === "scale_out" ? { lastScaleOutAt: now } : { lastScaleInAt: now }) },
    decision: { regionId: snapshot.regionId, action, count, reasons, at: now },
  });
  const idle: RegionResult = { region: { ...region, outStreak: null, inStreak: null }, decision: null };

  // Bounds are not signals: they are enforced at once, whatever the windows say.
  if (total < min) return act("scale_out", min - total, [`min_nodes: ${total} nodes < minimum ${min}`]);
  if (total > max) return act("scale_in", total - max, [`max_nodes: ${total} nodes > maximum ${max}`]);

  const { profile } = region;
  const { leadMs, scaleInLookaheadMs, learningRate, minDays } = config.predictive;
  const forecast = {
    scaleOut: forecastDemand(profile, now, now + leadMs, learningRate, minDays),
    scaleIn: forecastDemand(profile, now, now + scaleInLookaheadMs, learningRate, minDays),
  };
  const verdicts = evaluateRules({ snapshot, config, forecast });
  const outs = verdicts.filter((v): v is Extract<RuleVerdict, { kind: "scale_out" }> => v.kind === "scale_out");
  const ins = verdicts.filter((v): v is Extract<RuleVerdict, { kind: "allow_scale_in" }> => v.kind === "allow_scale_in");

  if (outs.length) {
    const { sustain, cooldown } = config;
    const need = Math.max(...outs.map((v) => v.nodes));
    const emergency = outs.some((v) => v.emergency);
    const streak = extendStreak(region.outStreak, now, need);
    const sinceOut = region.lastScaleOutAt === null ? Infinity : now - region.lastScaleOutAt;
    const sustained = streak.evaluations >= sustain.scaleOutEvaluations && now - streak.since >= sustain.scaleOutMinMs;
    const due = emergency ? sinceOut >= cooldown.emergencyScaleOutMs : sustained && sinceOut >= cooldown.scaleOutMs;
    const headroom = max - total;
    if (!due || headroom <= 0) return { region: { ...region, inStreak: null, outStreak: streak }, decision: null };
    // An emergency sizes on the current reading; otherwise on what the whole window agreed on.
    const wanted = emergency ? need : streak.nodes;
    const count = Math.min(wanted, headroom);
    const why = emergency
      ? "emergency: acted without waiting for the sustain window"
      : `sustained for ${streak.evaluations} evaluations over ${minutes(now - streak.since)}`;
    return act("scale_out", count, [...outs.map((v) => v.reason), why, ...(count < wanted ? [`max_nodes: capped at ${max}`] : [])]);
  }

  // Scale in only when every rule consents and nothing is still booting (its effect isn't measured yet).
  if (ins.length < verdicts.length || snapshot.pendingNodes > 0) return idle;
  const removable = Math.min(...ins.map((v) => v.removable), config.nodes.maxScaleInStep, snapshot.readyNodes - min);
  if (removable < 1) return idle;
  const { sustain, cooldown } = config;
  const streak = extendStreak(region.inStreak, now, removable);
  const lastAction = Math.max(region.lastScaleOutAt ?? -Infinity, region.lastScaleInAt ?? -Infinity);
  const sustained = streak.evaluations >= sustain.scaleInEvaluations && now - streak.since >= sustain.scaleInMinMs;
  if (!sustained || now - lastAction < cooldown.scaleInMs)
    return { region: { ...region, outStreak: null, inStreak: streak }, decision: null };
  return act("scale_in", streak.nodes, [
    ...ins.map((v) => v.reason),
    `sustained for ${streak.evaluations} evaluations over ${minutes(now - streak.since)}`,
  ]);
}

const minutes = (ms: number) => `${Math.round(ms / 6_000) / 10} min`;
