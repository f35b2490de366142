import type { PlacementRefusalCode } from "./errors.ts";
import type { FleetConfig, FleetNode } from "./fleet-config.ts";
import type { NodeId, RegionId } from "../protocol/ids.ts";
import type { LocationHint } from "../protocol/location-hint.ts";
import { createRegionRanker, type RegionRanker } from "./region-distance.ts";

/**
 * Pure placement: which media node a meeting goes to. Sticky while its node is fit to keep it; otherwise the
 * least-loaded node with headroom in the nearest region that has one. A decision ranks the (few) regions and
 * scans only the nodes of the regions it needs, never sorting nodes.
 */

/** What a node last reported, as the caller sees it now. */
export interface NodeStatus {
  healthy: boolean;
  participants: number;
  rooms: number;
  /** 0..1 */
  cpu: number;
  /** How long ago these figures were taken. */
  statsAgeMs: number;
  /** Shutting down or taken out of rotation: keeps its meetings for now, takes no new ones, loses stickiness. */
  draining?: boolean;
}

/** Anything keyed by node id: a Map, or an adapter over whatever the caller stores. */
export interface NodeStatusSource {
  get(nodeId: NodeId): NodeStatus | undefined;
}

export interface PlacementPolicy {
  /** A node at or above this CPU takes no new meetings. */
  cpuThreshold: number;
  /** Older stats count as unhealthy: the node may be gone. */
  staleAfterMs: number;
  /** Weight of participant utilisation in the load score; CPU gets the rest. */
  participantWeight: number;
}

export const defaultPlacementPolicy: PlacementPolicy = { cpuThreshold: 0.85, staleAfterMs: 10_000, participantWeight: 0.5 };

/** The default policy with the fleet's own CPU limit, if it sets one (`null`: none). */
export function placementPolicyFor(fleet: FleetConfig): PlacementPolicy {
  if (fleet.cpuLimit === undefined) return defaultPlacementPolicy;
  return { ...defaultPlacementPolicy, cpuThreshold: fleet.cpuLimit ?? Number.POSITIVE_INFINITY };
}

export interface PlacementRequest {
  hint?: LocationHint;
  /** Participants the meeting is expected to bring to a node (at least 1). */
  expectedParticipants: number;
  /** Where the meeting runs now, if anywhere. */
  current?: { nodeId: NodeId };
}

export type PlacementReason = "sticky" | "nearest" | "spillover";

export type Placement =
  | { ok: true; regionId: RegionId; nodeId: NodeId; reason: PlacementReason }
  | { ok: false; code: PlacementRefusalCode; message: string };

interface IndexedNode {
  id: NodeId;
  maxParticipants: number;
  maxRooms: number;
}

interface FleetIndex {
  regionIds: readonly RegionId[];
  /** Per region, its nodes sorted by id: scanning in this order and keeping the first best is the tie-break. */
  nodesByRegion: readonly (readonly IndexedNode[])[];
  nodeById: ReadonlyMap<NodeId, { node: IndexedNode; regionIndex: number }>;
  ranker: RegionRanker;
}

// The fleet is immutable once parsed, so its index is built on first use and shared by every decision.
const indexes = new WeakMap<FleetConfig, FleetIndex>();

function indexOf(fleet: FleetConfig): FleetIndex {
  let index = indexes.get(fleet);
  if (index) return index;
  const nodeById = new Map<NodeId, { node: IndexedNode; regionIndex: number }>();
  const nodesByRegion = fleet.regions.map((region, regionIndex) =>
    [...region.nodes]
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((fleetNode: FleetNode) => {
        const node = {
          id: fleetNode.id,
          maxParticipants: fleetNode.capacity.maxParticipants,
          maxRooms: fleetNode.capacity.maxRooms ?? Infinity,
        };
        nodeById.set(node.id, { node, regionIndex });
        return node;
      }),
  );
  index = { regionIds: fleet.regions.map((region) => region.id), nodesByRegion, nodeById, ranker: createRegionRanker(fleet.regions) };
  indexes.set(fleet, index);
  return index;
}

/** Healthy, fresh and not draining: may keep its meetings. A NaN age fails `<=`, so it counts as stale. */
const isFit = (status: NodeStatus | undefined, policy: PlacementPolicy): status is NodeStatus =>
  status !== undefined && status.healthy && !status.draining && status.statsAgeMs <= policy.staleAfterMs;

interface ScanState {
  /** Whether any fit node was seen, to tell "all down" from "all busy". */
  sawFit: boolean;
}

/** The least-loaded fit node with headroom in one region, or undefined. */
function bestInRegion(
  nodes: readonly IndexedNode[],
  statuses: NodeStatusSource,
  expected: number,
  policy: PlacementPolicy,
  exclude: NodeId | undefined,
  scan: ScanState,
): IndexedNode | undefined {
  const { cpuThreshold, participantWeight } = policy;
  const cpuWeight = 1 - participantWeight;
  let best: IndexedNode | undefined;
  let bestScore = Infinity;
  for (const node of nodes) {
    if (node.id === exclude) continue;
    const status = statuses.get(node.id);
    if (!isFit(status, policy)) continue;
    scan.sawFit = true;
    const after = status.participants + expected;
    // `<` rejects NaN cpu too.
    if (after > node.maxParticipants || status.rooms + 1 > node.maxRooms || !(status.cpu < cpuThreshold)) continue;
    const score = participantWeight * (after / node.maxParticipants) + cpuWeight * status.cpu;
    if (score < bestScore) {
      best = node;
      bestScore = score;
    }
  }
  return best;
}

function placeInOrder(
  index: FleetIndex,
  order: readonly number[],
  statuses: NodeStatusSource,
  expected: number,
  policy: PlacementPolicy,
  exclude?: NodeId,
): Placement {
  const scan: ScanState = { sawFit: false };
  for (let rank = 0; rank < order.length; rank++) {
    const regionIndex = order[rank]!;
    const node = bestInRegion(index.nodesByRegion[regionIndex]!, statuses, expected, policy, exclude, scan);
    if (node) return { ok: true, regionId: index.regionIds[regionIndex]!, nodeId: node.id, reason: rank === 0 ? "nearest" : "spillover" };
  }
  return scan.sawFit
    ? { ok: false, code: "fleet_full", message: `no healthy media node has room for ${expected} more participant(s)` }
    : { ok: false, code: "no_healthy_node", message: "every media node is unhealthy, draining or has stale stats" };
}

export function selectNode(
  fleet: FleetConfig,
  statuses: NodeStatusSource,
  request: PlacementRequest,
  policy: PlacementPolicy = defaultPlacementPolicy,
): Placement {
  const index = indexOf(fleet);
  const current = request.current && index.nodeById.get(request.current.nodeId);
  // A running meeting stays put even when its node is past the headroom limits: moving it drops every call.
  if (current && isFit(statuses.get(current.node.id), policy)) {
    return { ok: true, regionId: index.regionIds[current.regionIndex]!, nodeId: current.node.id, reason: "sticky" };
  }
  return placeInOrder(index, index.ranker.rank(request.hint).order, statuses, request.expectedParticipants, policy);
}

export interface ReplacementRequest {
  failedNodeId: NodeId;
  hint?: LocationHint;
  expectedParticipants: number;
}

/**
 * A new node for a meeting whose node failed: never the failed one (its status may not say so yet), its region
 * first so participants keep their latency, then the regions nearest the hint. "nearest" means the same region.
 */
export function replaceAfterFailure(
  fleet: FleetConfig,
  statuses: NodeStatusSource,
  request: ReplacementRequest,
  policy: PlacementPolicy = defaultPlacementPolicy,
): Placement {
  const index = indexOf(fleet);
  const failedRegion = index.nodeById.get(request.failedNodeId)?.regionIndex;
  const ranked = index.ranker.rank(request.hint).order;
  const order = failedRegion === undefined ? ranked : [failedRegion, ...ranked.filter((i) => i !== failedRegion)];
  return placeInOrder(index, order, statuses, request.expectedParticipants, policy, request.failedNodeId);
}
