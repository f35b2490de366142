import type { MetricSamples, NodeMetricSample, RegionDemandSample } from "./metrics-sample.ts";
import type { RegionId } from "../../protocol/ids.ts";

/**
 * One region at one evaluation: its inventory and demand (from the region sample) and its nodes' load (the
 * latest fresh sample of each node, averaged). Capacity is decided per region: the load balancer spreads a
 * region's traffic across its ready nodes, so the region mean is the signal, not one hot node.
 */
export interface RegionSnapshot {
  regionId: RegionId;
  readyNodes: number;
  pendingNodes: number;
  demandConnections: number;
  /** Nodes with a fresh sample. */
  reportingNodes: number;
  /** Region means over reporting nodes; null when no node reported. */
  meanCpu: number | null;
  connectionsPerNode: number | null;
  meanP95LatencyMs: number | null;
}

const fresh = (at: number, now: number, maxAgeMs: number) => at <= now && now - at <= maxAgeMs;

/**
 * Regions with a fresh region sample, sorted by id so the policy's output order is deterministic. A region
 * without one is not evaluated: without its inventory the policy can't size anything safely.
 */
export function snapshotRegions(samples: MetricSamples, now: number, maxAgeMs: number): RegionSnapshot[] {
  const regions = new Map<RegionId, RegionDemandSample>();
  for (const sample of samples.regions) {
    if (!fresh(sample.at, now, maxAgeMs)) continue;
    const held = regions.get(sample.regionId);
    if (!held || sample.at > held.at) regions.set(sample.regionId, sample);
  }
  const nodes = new Map<string, NodeMetricSample>();
  for (const sample of samples.nodes) {
    if (!fresh(sample.at, now, maxAgeMs) || !regions.has(sample.regionId)) continue;
    const key = `${sample.regionId}/${sample.nodeId}`;
    const held = nodes.get(key);
    if (!held || sample.at > held.at) nodes.set(key, sample);
  }
  const byRegion = new Map<RegionId, NodeMetricSample[]>();
  for (const sample of nodes.values()) {
    const list = byRegion.get(sample.regionId);
    if (list) list.push(sample);
    else byRegion.set(sample.regionId, [sample]);
  }

  return [...regions.values()]
    .sort((a, b) => (a.regionId < b.regionId ? -1 : a.regionId > b.regionId ? 1 : 0))
    .map((region) => {
      const reporting = byRegion.get(region.regionId) ?? [];
      const mean = (pick: (s: NodeMetricSample) => number) =>
        reporting.length ? reporting.reduce((sum, s) => sum + pick(s), 0) / reporting.length : null;
      return {
        regionId: region.regionId,
        readyNodes: region.readyNodes,
        pendingNodes: region.pendingNodes,
        demandConnections: region.demandConnections,
        reportingNodes: reporting.length,
        meanCpu: mean((s) => s.cpu),
        connectionsPerNode: mean((s) => s.connections),
        meanP95LatencyMs: mean((s) => s.p95LatencyMs),
      };
    });
}
