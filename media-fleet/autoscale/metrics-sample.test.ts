import { describe, expect, it } from "vitest";
import { parseMetricSamples } from "./metrics-sample.ts";

const at = Date.UTC(2030, 0, 7, 12);
const node = { at, regionId: "us-east", nodeId: "ND_a1b2c3", cpu: 0.42, connections: 380, p95LatencyMs: 41.5 };
const region = { at, regionId: "us-east", demandConnections: 1520, readyNodes: 4, pendingNodes: 1 };

const issues = (value: unknown) => {
  const parsed = parseMetricSamples(value);
  if (parsed.ok) throw new Error("expected the batch to be rejected");
  return parsed.issues;
};

describe("metric samples at the boundary", () => {
  it("accepts a well-formed batch and drops fields it does not know", () => {
    expect(parseMetricSamples({ nodes: [{ ...node, secret: "x" }], regions: [region] })).toEqual({
      ok: true,
      samples: { nodes: [node], regions: [region] },
    });
  });

  it("accepts an empty batch", () => {
    expect(parseMetricSamples({ nodes: [], regions: [] })).toEqual({ ok: true, samples: { nodes: [], regions: [] } });
  });

  it.each([
    ["cpu given as a percentage", { cpu: 75 }, "nodes.0.cpu"],
    ["negative cpu", { cpu: -0.1 }, "nodes.0.cpu"],
    ["NaN cpu", { cpu: Number.NaN }, "nodes.0.cpu"],
    ["infinite latency", { p95LatencyMs: Number.POSITIVE_INFINITY }, "nodes.0.p95LatencyMs"],
    ["negative latency", { p95LatencyMs: -5 }, "nodes.0.p95LatencyMs"],
    ["fractional connections", { connections: 10.5 }, "nodes.0.connections"],
    ["negative connections", { connections: -1 }, "nodes.0.connections"],
    ["a number sent as a string", { connections: "380" }, "nodes.0.connections"],
    ["a timestamp in seconds with a fraction", { at: 1_893_931_200.5 }, "nodes.0.at"],
    ["a date string as the timestamp", { at: "2030-01-07T12:00:00Z" }, "nodes.0.at"],
    ["an upper-case region", { regionId: "US-EAST" }, "nodes.0.regionId"],
    ["an empty node id", { nodeId: "" }, "nodes.0.nodeId"],
    ["a node id with a path", { nodeId: "../etc/passwd" }, "nodes.0.nodeId"],
  ])("rejects a node sample with %s", (_, change, path) => {
    expect(issues({ nodes: [{ ...node, ...change }], regions: [] }).some((issue) => issue.startsWith(`${path}:`))).toBe(true);
  });

  it.each([
    ["negative demand", { demandConnections: -3 }, "regions.0.demandConnections"],
    ["fractional ready nodes", { readyNodes: 2.5 }, "regions.0.readyNodes"],
    ["missing pending nodes", { pendingNodes: undefined }, "regions.0.pendingNodes"],
  ])("rejects a region sample with %s", (_, change, path) => {
    expect(issues({ nodes: [], regions: [{ ...region, ...change }] }).some((issue) => issue.startsWith(`${path}:`))).toBe(true);
  });

  it.each([null, "[]", [], { nodes: [] }, { nodes: {}, regions: [] }])("rejects a batch that is not { nodes, regions }: %j", (value) => {
    expect(issues(value).length).toBeGreaterThan(0);
  });

  it("names the offending field without echoing its value", () => {
    const found = issues({ nodes: [{ ...node, nodeId: "<script>alert(1)</script>" }], regions: [] });
    expect(found.join(" ")).not.toContain("<script>");
  });
});
