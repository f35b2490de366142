import { describe, expect, it } from "vitest";
import type { MetricSamples } from "./metrics-sample.ts";
import type { NodeId, RegionId } from "../../protocol/ids.ts";
import { snapshotRegions } from "./region-snapshot.ts";

const minute = 60_000;
const now = Date.UTC(2030, 0, 7, 12);
const east = "us-east" as RegionId;
const west = "eu-west" as RegionId;
const node = (regionId: RegionId, nodeId: string, at: number, cpu: number) => ({
  at,
  regionId,
  nodeId: nodeId as NodeId,
  cpu,
  connections: Math.round(cpu * 1000),
  p95LatencyMs: cpu * 100,
});
const region = (regionId: RegionId, at: number) => ({ at, regionId, demandConnections: 900, readyNodes: 2, pendingNodes: 1 });

describe("region snapshots", () => {
  it("averages the latest fresh sample of each node", () => {
    const samples: MetricSamples = {
      nodes: [
        node(east, "a", now - 2 * minute, 0.9),
        node(east, "a", now - minute, 0.3),
        node(east, "b", now, 0.5),
        node(east, "c", now - 10 * minute, 1),
      ],
      regions: [region(east, now - minute)],
    };
    expect(snapshotRegions(samples, now, 3 * minute)).toEqual([
      {
        regionId: east,
        readyNodes: 2,
        pendingNodes: 1,
        demandConnections: 900,
        reportingNodes: 2,
        meanCpu: 0.4,
        connectionsPerNode: 400,
        meanP95LatencyMs: 40,
      },
    ]);
  });

  it("skips a region without a fresh region sample, and its nodes with it", () => {
    const samples: MetricSamples = {
      nodes: [node(west, "w", now, 0.9), node(east, "e", now, 0.5)],
      regions: [region(west, now - 5 * minute), region(east, now)],
    };
    expect(snapshotRegions(samples, now, 3 * minute).map((s) => s.regionId)).toEqual([east]);
  });

  it("has no node figures when no node reported", () => {
    expect(snapshotRegions({ nodes: [], regions: [region(east, now)] }, now, minute)[0]).toMatchObject({
      reportingNodes: 0,
      meanCpu: null,
      connectionsPerNode: null,
      meanP95LatencyMs: null,
    });
  });

  it("lists regions in id order whatever order the samples came in", () => {
    const samples: MetricSamples = { nodes: [], regions: [region(west, now), region(east, now), region("ap-south" as RegionId, now)] };
    expect(snapshotRegions(samples, now, minute).map((s) => s.regionId)).toEqual(["ap-south", "eu-west", "us-east"]);
  });
});
