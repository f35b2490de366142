import type { FleetConfig } from "./fleet-config.ts";
import type { NodeId, RegionId } from "../protocol/ids.ts";
import {
  defaultPlacementPolicy,
  replaceAfterFailure,
  selectNode,
  type NodeStatusSource,
  type PlacementPolicy,
  type PlacementRefusalCode,
} from "./node-selection.ts";
import type { LocationHint } from "../protocol/location-hint.ts";

/**
 * Pure: whether a running meeting must leave its media node, and for which node. A meeting stays while its
 * node is fit by placement's own rule (healthy, fresh stats); draining does not move it, since moving drops
 * every call. Otherwise it goes where `replaceAfterFailure` puts it: never back to the failed node, its region
 * first.
 */

export interface FailoverRequest {
  /** The node the meeting's media runs on now. */
  current: NodeId;
  /** Participants the new node must take: the meeting's whole media roster. */
  participants: number;
  hint?: LocationHint;
}

/** Why the current node is given up. */
export type FailoverCause =
  | "unhealthy" // probes or clients say it is down
  | "stale" // nothing heard from it for longer than placement trusts
  | "unknown" // no status at all
  | "not_in_fleet"; // configuration no longer lists it

export type FailoverDecision =
  | { action: "stay"; nodeId: NodeId; draining: boolean }
  | { action: "move"; from: NodeId; to: NodeId; regionId: RegionId; sameRegion: boolean; cause: FailoverCause }
  | { action: "stranded"; from: NodeId; cause: FailoverCause; code: PlacementRefusalCode; message: string };

const regionOf = (fleet: FleetConfig, nodeId: NodeId): RegionId | undefined =>
  fleet.regions.find((region) => region.nodes.some((node) => node.id === nodeId))?.id;

export function decideFailover(
  fleet: FleetConfig,
  statuses: NodeStatusSource,
  request: FailoverRequest,
  policy: PlacementPolicy = defaultPlacementPolicy,
): FailoverDecision {
  const { current } = request;
  const status = statuses.get(current);
  // selectNode's stickiness is the fitness rule; only draining is set aside, since it must not move a meeting.
  const ignoringDrain: NodeStatusSource = {
    get: (nodeId) => {
      const found = statuses.get(nodeId);
      return nodeId === current && found?.draining ? { ...found, draining: false } : found;
    },
  };
  const kept = selectNode(fleet, ignoringDrain, { expectedParticipants: request.participants, current: { nodeId: current } }, policy);
  if (kept.ok && kept.reason === "sticky") return { action: "stay", nodeId: current, draining: status?.draining === true };

  const currentRegion = regionOf(fleet, current);
  const cause: FailoverCause = currentRegion === undefined
    ? "not_in_fleet"
    : status === undefined
      ? "unknown"
      : status.healthy
        ? "stale"
        : "unhealthy";
  const replacement = replaceAfterFailure(
    fleet,
    statuses,
    { failedNodeId: current, expectedParticipants: request.participants, ...(request.hint ? { hint: request.hint } : {}) },
    policy,
  );
  if (!replacement.ok) return { action: "stranded", from: current, cause, code: replacement.code, message: replacement.message };
  return { action: "move", from: current, to: replacement.nodeId, regionId: replacement.regionId, sameRegion: replacement.regionId === currentRegion, cause };
}
