import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseFleetConfig, type FleetConfig } from "./fleet-config.ts";
import type { NodeId } from "../protocol/ids.ts";
import type { LocationHint } from "../protocol/location-hint.ts";
import { rankRegions } from "./region-distance.ts";
import {
  defaultPlacementPolicy,
  placementPolicyFor,
  replaceAfterFailure,
  selectNode,
  type NodeStatus,
  type Placement,
  type PlacementPolicy,
} from "./node-selection.ts";

const node = (id: string, maxParticipants = 100, maxRooms?: number) => ({
  id,
  url: `wss://${id}.example.net`,
  apiKey: "key",
  apiSecret: "secret",
  capacity: maxRooms === undefined ? { maxParticipants } : { maxParticipants, maxRooms },
  kind: "cloud",
});

function buildFleet(raw: unknown): FleetConfig {
  const result = parseFleetConfig(raw);
  if (!result.ok) throw new Error(result.issues.join("; "));
  return result.fleet;
}

/** Listed out of id order on purpose: ties must go to the smaller id, not to the first listed. */
const fleet = buildFleet({
  regions: [
    {
      id: "us-east",
      location: { continent: "NA", latitude: 39, longitude: -77.5 },
      nodes: [node("use-b"), node("use-a"), node("use-c", 100, 2)],
    },
    { id: "eu-west", location: { continent: "EU", latitude: 53.3, longitude: -6.3 }, nodes: [node("euw-b"), node("euw-a")] },
    { id: "ap-south", location: { continent: "AS", latitude: 19.1, longitude: 72.9 }, nodes: [node("aps-big", 200), node("aps-a")] },
  ],
});
const allNodes = fleet.regions.flatMap((r) => r.nodes.map((n) => n.id));

const london: LocationHint = { country: "GB", continent: "EU", latitude: "51.51", longitude: "-0.13" };
const mumbai: LocationHint = { country: "IN", latitude: 19, longitude: 73 };
const id = (value: string) => value as NodeId;

const idle: NodeStatus = { healthy: true, participants: 0, rooms: 0, cpu: 0, statsAgeMs: 1000 };
/** Every node idle and fresh, with some changed. */
const statuses = (changes: Record<string, Partial<NodeStatus> | undefined> = {}) =>
  new Map(
    allNodes.flatMap((n): [NodeId, NodeStatus][] => {
      if (n in changes && changes[n] === undefined) return [];
      return [[n, { ...idle, ...changes[n] }]];
    }),
  );
const full = { participants: 100 };
const down = { healthy: false };

const place = (
  s: Map<NodeId, NodeStatus>,
  hint: LocationHint | undefined = london,
  expectedParticipants = 1,
  extra: { current?: string } = {},
  policy?: PlacementPolicy,
) => selectNode(fleet, s, { hint, expectedParticipants, ...(extra.current ? { current: { nodeId: id(extra.current) } } : {}) }, policy);

const placed = (regionId: string, nodeId: string, reason: string): Placement => ({ ok: true, regionId, nodeId, reason }) as Placement;

describe("selectNode: nearest region, least-loaded node", () => {
  it("places a London meeting in eu-west on its least-loaded node", () => {
    expect(place(statuses({ "euw-a": { participants: 30, cpu: 0.3 }, "euw-b": { participants: 10, cpu: 0.1 } }))).toEqual(
      placed("eu-west", "euw-b", "nearest"),
    );
  });

  it("weighs participant utilisation and cpu together", () => {
    // euw-a: 0.5·(60/100) + 0.5·0.1 = 0.35; euw-b: 0.5·(20/100) + 0.5·0.6 = 0.40.
    const s = statuses({ "euw-a": { participants: 59, cpu: 0.1 }, "euw-b": { participants: 19, cpu: 0.6 } });
    expect(place(s)).toMatchObject({ nodeId: "euw-a" });
    // Weighted all on participants, the emptier node wins.
    expect(place(s, london, 1, {}, { ...defaultPlacementPolicy, participantWeight: 1 })).toMatchObject({ nodeId: "euw-b" });
  });

  it("measures utilisation against each node's own capacity", () => {
    // aps-big holds 200: 80 there is 40%, 50 on a 100-node is 50%.
    const s = statuses({ "aps-a": { participants: 50 }, "aps-big": { participants: 80 } });
    expect(place(s, mumbai)).toEqual(placed("ap-south", "aps-big", "nearest"));
  });

  it("breaks an exact tie by node id, whatever order the config lists them in", () => {
    expect(place(statuses())).toEqual(placed("eu-west", "euw-a", "nearest"));
    expect(place(statuses(), { continent: "NA" })).toEqual(placed("us-east", "use-a", "nearest"));
  });

  it("uses the configuration order of regions when the hint says nothing", () => {
    expect(selectNode(fleet, statuses(), { expectedParticipants: 1 })).toEqual(placed("us-east", "use-a", "nearest"));
    expect(place(statuses(), {})).toEqual(placed("us-east", "use-a", "nearest"));
    expect(place(statuses(), { colo: "LHR" })).toEqual(placed("us-east", "use-a", "nearest"));
  });

  it("honours a client's region hint", () => {
    expect(place(statuses(), { regionId: "ap-south", ...london })).toEqual(placed("ap-south", "aps-big", "nearest"));
  });
});

describe("selectNode: which nodes may take a meeting", () => {
  it("fills a node exactly to capacity but not past it", () => {
    expect(place(statuses({ "euw-a": { participants: 90 }, "euw-b": { participants: 95 } }), london, 10)).toMatchObject({
      nodeId: "euw-a",
    });
    expect(place(statuses({ "euw-a": { participants: 91 }, "euw-b": { participants: 90 } }), london, 10)).toMatchObject({
      nodeId: "euw-b",
    });
  });

  it("skips a node at or above the cpu threshold", () => {
    expect(place(statuses({ "euw-a": { cpu: 0.85 }, "euw-b": { cpu: 0.849, participants: 90 } }))).toMatchObject({ nodeId: "euw-b" });
    expect(place(statuses({ "euw-a": { cpu: Number.NaN }, "euw-b": { cpu: 0.5 } }))).toMatchObject({ nodeId: "euw-b" });
  });

  it("skips a node at its room limit; a node without one has none", () => {
    const s = statuses({ "use-a": down, "use-b": down, "use-c": { rooms: 2 } });
    expect(place(s, { continent: "NA" })).toMatchObject({ reason: "spillover" });
    expect(place(statuses({ "use-a": down, "use-b": { rooms: 1_000_000 } }), { continent: "NA" })).toMatchObject({ nodeId: "use-b" });
  });

  it("treats stats older than 10 s as unhealthy, and exactly 10 s as fresh", () => {
    expect(place(statuses({ "euw-a": { statsAgeMs: 10_001 }, "euw-b": { participants: 50 } }))).toMatchObject({ nodeId: "euw-b" });
    expect(place(statuses({ "euw-a": { statsAgeMs: 10_000 }, "euw-b": { participants: 50 } }))).toMatchObject({ nodeId: "euw-a" });
    expect(place(statuses({ "euw-a": { statsAgeMs: Number.NaN }, "euw-b": { participants: 50 } }))).toMatchObject({ nodeId: "euw-b" });
  });

  it("skips unhealthy and draining nodes, and nodes with no status at all", () => {
    expect(place(statuses({ "euw-a": down, "euw-b": { participants: 50 } }))).toMatchObject({ nodeId: "euw-b" });
    expect(place(statuses({ "euw-a": { draining: true }, "euw-b": { participants: 50 } }))).toMatchObject({ nodeId: "euw-b" });
    expect(place(statuses({ "euw-a": undefined, "euw-b": { participants: 50 } }))).toMatchObject({ nodeId: "euw-b" });
  });

  it("follows a stricter policy when given one", () => {
    const policy = { cpuThreshold: 0.5, staleAfterMs: 2000, participantWeight: 0.5 };
    expect(place(statuses({ "euw-a": { cpu: 0.5 }, "euw-b": { statsAgeMs: 2001 } }), london, 1, {}, policy)).toMatchObject({
      regionId: "us-east",
      reason: "spillover",
    });
  });
});

describe("selectNode: spillover", () => {
  it("spills to the next-nearest region when every node in the nearest is full", () => {
    expect(place(statuses({ "euw-a": full, "euw-b": full }))).toEqual(placed("us-east", "use-a", "spillover"));
  });

  it("spills when the nearest region is down, and keeps going until a region has room", () => {
    const s = statuses({
      "euw-a": down,
      "euw-b": { draining: true },
      "use-a": full,
      "use-b": { cpu: 0.9 },
      "use-c": { statsAgeMs: 60_000 },
    });
    expect(place(s)).toEqual(placed("ap-south", "aps-big", "spillover"));
  });

  it("spills a meeting too big for any node nearby", () => {
    expect(place(statuses(), london, 150)).toEqual(placed("ap-south", "aps-big", "spillover"));
  });
});

describe("selectNode: refusals", () => {
  it("refuses with no_healthy_node when every node is down, draining, stale or silent", () => {
    const s = statuses({
      "use-a": down,
      "use-b": { draining: true },
      "use-c": { statsAgeMs: 30_000 },
      "euw-a": undefined,
      "euw-b": down,
      "aps-a": down,
      "aps-big": down,
    });
    expect(place(s)).toEqual({ ok: false, code: "no_healthy_node", message: "every media node is unhealthy, draining or has stale stats" });
    expect(place(new Map())).toMatchObject({ ok: false, code: "no_healthy_node" });
  });

  it("refuses with fleet_full when healthy nodes exist but none has room", () => {
    const s = statuses({
      "use-a": full,
      "use-b": { cpu: 0.95 },
      "use-c": { rooms: 2 },
      "euw-a": down,
      "euw-b": { participants: 99 },
      "aps-a": full,
      "aps-big": { participants: 199 },
    });
    expect(place(s, london, 2)).toEqual({
      ok: false,
      code: "fleet_full",
      message: "no healthy media node has room for 2 more participant(s)",
    });
  });

  it("refuses a meeting larger than any node", () => {
    expect(place(statuses(), london, 200)).toMatchObject({ nodeId: "aps-big" });
    expect(place(statuses(), london, 201)).toMatchObject({ ok: false, code: "fleet_full" });
  });
});

describe("selectNode: stickiness", () => {
  it("keeps a meeting on its node even when a nearer or emptier one exists", () => {
    expect(place(statuses({ "aps-a": { participants: 80, cpu: 0.7 } }), london, 1, { current: "aps-a" })).toEqual(
      placed("ap-south", "aps-a", "sticky"),
    );
  });

  it("keeps a meeting on a node past its headroom: moving it would drop every call", () => {
    expect(place(statuses({ "euw-b": { participants: 100, rooms: 50, cpu: 0.97 } }), london, 20, { current: "euw-b" })).toEqual(
      placed("eu-west", "euw-b", "sticky"),
    );
  });

  it.each([
    ["unhealthy", { healthy: false }],
    ["draining", { draining: true }],
    ["reporting stale stats", { statsAgeMs: 10_001 }],
  ])("moves a meeting whose node is %s to the nearest fit node", (_, change) => {
    expect(place(statuses({ "euw-a": change }), london, 1, { current: "euw-a" })).toEqual(placed("eu-west", "euw-b", "nearest"));
  });

  it("moves a meeting whose node has no status or has left the fleet", () => {
    expect(place(statuses({ "euw-a": undefined }), london, 1, { current: "euw-a" })).toEqual(placed("eu-west", "euw-b", "nearest"));
    expect(place(statuses(), mumbai, 1, { current: "gone-1" })).toEqual(placed("ap-south", "aps-big", "nearest"));
  });
});

describe("replaceAfterFailure", () => {
  const replace = (s: Map<NodeId, NodeStatus>, failed: string, hint: LocationHint | undefined = mumbai, expectedParticipants = 5) =>
    replaceAfterFailure(fleet, s, { failedNodeId: id(failed), hint, expectedParticipants });

  it("never picks the failed node, even while its stats still look healthy", () => {
    expect(replace(statuses({ "euw-b": { participants: 90 } }), "euw-a")).toEqual(placed("eu-west", "euw-b", "nearest"));
  });

  it("prefers the failed node's region over the region nearest the hint", () => {
    expect(replace(statuses(), "use-a")).toEqual(placed("us-east", "use-b", "nearest"));
  });

  it("then goes to the region nearest the hint", () => {
    expect(replace(statuses({ "euw-b": full }), "euw-a")).toEqual(placed("ap-south", "aps-big", "spillover"));
    expect(replace(statuses({ "euw-b": full }), "euw-a", { country: "US" })).toEqual(placed("us-east", "use-a", "spillover"));
  });

  it("refuses with no_healthy_node when the failed node was the only healthy one", () => {
    const s = statuses(Object.fromEntries(allNodes.filter((n) => n !== "aps-a").map((n) => [n, down])));
    expect(replace(s, "aps-a")).toMatchObject({ ok: false, code: "no_healthy_node" });
  });

  it("refuses with fleet_full when the survivors have no room", () => {
    const s = statuses({ ...Object.fromEntries(allNodes.map((n) => [n, { participants: 98 }])), "aps-big": { participants: 198 } });
    expect(replace(s, "use-a")).toMatchObject({ ok: false, code: "fleet_full" });
  });

  it("ranks by the hint alone when the failed node is unknown", () => {
    expect(replace(statuses(), "gone-1")).toEqual(placed("ap-south", "aps-big", "nearest"));
  });
});

describe("selectNode agrees with a naive reference", () => {
  /** Filter every node, sort all by (region rank, score, id), take the first: the rules, written the slow way. */
  function reference(s: Map<NodeId, NodeStatus>, hint: LocationHint, expected: number): Placement {
    const rank = rankRegions(fleet.regions, hint).regionIds;
    const fit = fleet.regions
      .flatMap((r) => r.nodes)
      .filter((n) => {
        const st = s.get(n.id);
        return st && st.healthy && !st.draining && st.statsAgeMs <= 10_000;
      });
    if (!fit.length) return { ok: false, code: "no_healthy_node", message: "" };
    const room = fit
      .filter((n) => {
        const st = s.get(n.id)!;
        return st.participants + expected <= n.capacity.maxParticipants && st.rooms < (n.capacity.maxRooms ?? Infinity) && st.cpu < 0.85;
      })
      .map((n) => {
        const st = s.get(n.id)!;
        return { n, r: rank.indexOf(n.regionId), score: 0.5 * ((st.participants + expected) / n.capacity.maxParticipants) + 0.5 * st.cpu };
      })
      .sort((a, b) => a.r - b.r || a.score - b.score || (a.n.id < b.n.id ? -1 : 1));
    const best = room[0];
    if (!best) return { ok: false, code: "fleet_full", message: "" };
    return { ok: true, regionId: best.n.regionId, nodeId: best.n.id, reason: best.r === 0 ? "nearest" : "spillover" };
  }

  const status = fc.record({
    healthy: fc.boolean(),
    participants: fc.integer({ min: 0, max: 200 }),
    rooms: fc.integer({ min: 0, max: 3 }),
    // Coarse steps so exact score ties happen often.
    cpu: fc.integer({ min: 0, max: 10 }).map((n) => n / 10),
    statsAgeMs: fc.constantFrom(0, 5000, 10_000, 10_001),
    draining: fc.boolean(),
  });
  const hint = fc.constantFrom<LocationHint>(london, mumbai, { country: "US" }, { continent: "AS" }, {}, { regionId: "eu-west" });

  it("on random fleets of statuses", () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(status, { nil: undefined }), { minLength: allNodes.length, maxLength: allNodes.length }),
        hint,
        fc.integer({ min: 1, max: 120 }),
        (list, h, expected) => {
          const s = new Map(allNodes.flatMap((n, i): [NodeId, NodeStatus][] => (list[i] ? [[n, list[i]]] : [])));
          const ours = selectNode(fleet, s, { hint: h, expectedParticipants: expected });
          const ref = reference(s, h, expected);
          expect(ours.ok ? ours : { ok: false, code: ours.code }).toEqual(ref.ok ? ref : { ok: false, code: ref.code });
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("the fleet's CPU limit replaces the default one; none means CPU never excludes a node", () => {
    expect(placementPolicyFor(fleet)).toBe(defaultPlacementPolicy);
    const busy = statuses(Object.fromEntries(allNodes.map((n) => [n, { cpu: 0.95 }])));
    expect(place(busy, london, 1, {}, placementPolicyFor(fleet))).toMatchObject({ ok: false, code: "fleet_full" });
    expect(place(busy, london, 1, {}, placementPolicyFor({ ...fleet, cpuLimit: null }))).toMatchObject({ ok: true, regionId: "eu-west" });
    expect(placementPolicyFor({ ...fleet, cpuLimit: 0.5 }).cpuThreshold).toBe(0.5);
  });
});
