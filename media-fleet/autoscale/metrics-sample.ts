import { z } from "zod";
import { NodeId, RegionId } from "../../protocol/ids.ts";

/**
 * What the autoscaler sees of the fleet: one sample per SFU node (its own load) and one per region (the
 * inventory and how many users that region should serve). Metrics arrive from outside (LiveKit node stats,
 * a metrics pipeline), so they are validated here once; the policy trusts the types.
 */

// Epoch milliseconds; an integer so bucket and cooldown arithmetic is exact.
const epochMs = z.number().int().positive().max(8.64e15);

export const nodeMetricSampleSchema = z.object({
  at: epochMs,
  regionId: RegionId,
  nodeId: NodeId,
  /** Share of the node's CPU in use, 0..1 (not a percentage). */
  cpu: z.number().min(0).max(1),
  /** Participant connections the node serves now. */
  connections: z.number().int().min(0).max(1_000_000),
  p95LatencyMs: z.number().min(0).max(600_000),
});

export const regionDemandSampleSchema = z.object({
  at: epochMs,
  regionId: RegionId,
  /**
   * Connections from users whose nearest region this is, wherever they are served now: when the region is
   * full its users spill to a farther one, so this can exceed what its own nodes report.
   */
  demandConnections: z.number().int().min(0).max(100_000_000),
  /** Nodes serving traffic. */
  readyNodes: z.number().int().min(0).max(10_000),
  /** Nodes asked for and still booting: capacity already on its way. */
  pendingNodes: z.number().int().min(0).max(10_000),
});

export const metricSamplesSchema = z.object({
  nodes: z.array(nodeMetricSampleSchema).max(100_000),
  regions: z.array(regionDemandSampleSchema).max(1_000),
});

export type NodeMetricSample = z.infer<typeof nodeMetricSampleSchema>;
export type RegionDemandSample = z.infer<typeof regionDemandSampleSchema>;
export type MetricSamples = z.infer<typeof metricSamplesSchema>;

export type ParsedSamples = { ok: true; samples: MetricSamples } | { ok: false; issues: string[] };

/** Validates a batch at the boundary; issues name the field (`nodes.3.cpu: …`), never echo the values. */
export function parseMetricSamples(value: unknown): ParsedSamples {
  const parsed = metricSamplesSchema.safeParse(value);
  if (parsed.success) return { ok: true, samples: parsed.data };
  return { ok: false, issues: parsed.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`) };
}
