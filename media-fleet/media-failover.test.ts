import { describe, expect, it } from "vitest";
import { parseFleetConfig, type FleetConfig } from "./fleet-config.ts";
import type { NodeId, RegionId } from "../protocol/ids.ts";
import { decideFailover, type FailoverDecision } from "./media-failover.ts";
import type { NodeStatus } from "./node-selection.ts";

const node = (id: string, maxParticipants = 50) => ({
  id,
  url: `wss://${id}.example.net`,
  apiKey: "key",
  apiSecret: "secret",
  capacity: { maxParticipants },
  kind: "self-hosted",
});

function buildFleet(raw: unknown): FleetConfig {
  const result = parseFleetConfig(raw);
  if (!result.ok) throw new Error(result.issues.join("; "));
  return result.fleet;
}

const fleet = buildFleet({
  regions: [
    { id: "eu-west", location: { continent: "EU", latitude: 53.3, longitude: -6.3 }, nodes: [node("euw-1"), node("euw-2", 10)] },
    { id: "eu-central", location: { continent: "EU", latitude: 50.1, longitude: 8.7 }, nodes: [node("euc-1")] },
    { id: "us-east", location: { continent: "NA", latitude: 39, longitude: -77.5 }, nodes: [node("use-1")] },
  ],
});
const id = (value: string) => value as NodeId;

const fine: NodeStatus = { healthy: true, participants: 0, rooms: 0, cpu: 0.1, statsAgeMs: 500 };
const statuses = (changes: Record<string, Partial<NodeStatus> | null> = {}) => {
  const map = new Map<NodeId, NodeStatus>();
  for (const n of ["euw-1", "euw-2", "euc-1", "use-1"]) {
    const change = changes[n];
    if (change !== null) map.set(id(n), { ...fine, ...change });
  }
  return map;
};

const decide = (s: Map<NodeId, NodeStatus>, current = "euw-1", participants = 4) => decideFailover(fleet, s, { current: id(current), participants });

describe("decideFailover", () => {
  it("a meeting on a healthy node stays, however loaded the node is", () => {
    expect(decide(statuses({ "euw-1": { participants: 49, cpu: 0.99 } }))).toEqual({ action: "stay", nodeId: "euw-1", draining: false });
  });

  it("a draining node keeps its running meetings", () => {
    expect(decide(statuses({ "euw-1": { draining: true } }))).toEqual({ action: "stay", nodeId: "euw-1", draining: true });
  });

  it("an unhealthy node's meeting moves to another node of the same region", () => {
    expect(decide(statuses({ "euw-1": { healthy: false } }))).toEqual<FailoverDecision>({
      action: "move",
      from: id("euw-1"),
      to: id("euw-2"),
      regionId: "eu-west" as RegionId,
      sameRegion: true,
      cause: "unhealthy",
    });
  });

  it("spills to the nearest other region when the region's other node can't take the whole meeting", () => {
    const decision = decide(statuses({ "euw-1": { healthy: false }, "euw-2": { participants: 8 } }));
    expect(decision).toMatchObject({ action: "move", to: "euc-1", regionId: "eu-central", sameRegion: false, cause: "unhealthy" });
  });

  it("a node whose stats are too old is given up as stale, even if it last said it was healthy", () => {
    expect(decide(statuses({ "euw-1": { statsAgeMs: 60_000 } }))).toMatchObject({ action: "move", to: "euw-2", cause: "stale" });
  });

  it("a node with no status at all is given up as unknown", () => {
    expect(decide(statuses({ "euw-1": null }))).toMatchObject({ action: "move", to: "euw-2", cause: "unknown" });
  });

  it("never moves back onto the failed node, whatever its status claims", () => {
    // Stale but flagged healthy: the replacement must still be another node.
    const decision = decide(statuses({ "euw-1": { statsAgeMs: Infinity }, "euw-2": { healthy: false } }));
    expect(decision).toMatchObject({ action: "move", to: "euc-1" });
  });

  it("a node that left the configuration is given up, and the meeting goes nearest to its clients", () => {
    const decision = decideFailover(fleet, statuses(), { current: id("retired-9"), participants: 2, hint: { country: "US" } });
    expect(decision).toMatchObject({ action: "move", from: "retired-9", to: "use-1", sameRegion: false, cause: "not_in_fleet" });
  });

  it("is stranded with no_healthy_node when every other node is down", () => {
    const decision = decide(statuses({ "euw-1": { healthy: false }, "euw-2": { healthy: false }, "euc-1": { healthy: false }, "use-1": { statsAgeMs: 30_000 } }));
    expect(decision).toMatchObject({ action: "stranded", from: "euw-1", cause: "unhealthy", code: "no_healthy_node" });
  });

  it("is stranded with fleet_full when the healthy nodes have no room for the whole meeting", () => {
    const decision = decide(statuses({ "euw-1": { healthy: false }, "euw-2": { participants: 10 }, "euc-1": { participants: 48 }, "use-1": { participants: 47 } }));
    expect(decision).toMatchObject({ action: "stranded", code: "fleet_full" });
  });
});
