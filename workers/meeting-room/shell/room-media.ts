import { fleetNodes, type FleetConfig, type FleetNode } from "../../../media-fleet/fleet-config.ts";
import { createLiveKitNodeClient, type RoomServiceOptions } from "../../../media-fleet/livekit/livekit-node-client.ts";
import type { ClusterNode } from "../../../media-fleet/livekit/cluster-node.ts";
import { probeNode } from "../../../media-fleet/livekit/node-health.ts";
import { readClusterStats } from "../../media/cluster-stats.ts";
import { mediaFleetOf } from "../../media/media-fleet-config.ts";
import { MediaFleetError } from "../../../media-fleet/errors.ts";
import type { MediaFleet, MediaRoomName } from "../../../media-fleet/media-fleet.ts";
import { meetingMediaRoom } from "../../../media-fleet/meeting-media-room.ts";
import { placementPolicyFor, replaceAfterFailure, selectNode, type NodeStatus } from "../../../media-fleet/node-selection.ts";
import type { NodeId } from "../../../protocol/ids.ts";
import type { Env } from "../../env.ts";
import type { MediaRole } from "../../../media-fleet/media-grants.ts";
import type { ParticipantIdentity } from "../../../protocol/ids.ts";
import type { RoomEvent, RoomState } from "../core/room-state.ts";
import type { SfuEffect, SfuGrant } from "../core/media-mode.ts";

/** What RoomMedia asks of one node. */
export type NodeClient = Pick<
  MediaFleet,
  "createRoom" | "mintAccessToken" | "muteParticipant" | "removeParticipant" | "closeRoom" | "load"
>;

/** Everything RoomMedia talks to, passed in: production's from `createRoomMedia`, a fake fleet's in unit tests. */
export interface RoomMediaDeps {
  /** Read per effect, so a misconfigured fleet fails media effects rather than the whole room. */
  fleet: () => FleetConfig;
  nodeClient: (node: FleetNode, options?: RoomServiceOptions) => NodeClient;
  /** Is the node serving? Short: a dead node must count as failed before the room's next check. */
  probe: (node: FleetNode) => Promise<{ healthy: boolean }>;
  /** A self-hosted cluster's node records (CPU, clients, rooms) by cluster region; undefined when not configured. */
  clusterStats: () => Promise<Map<string, ClusterNode> | undefined>;
  clock: { now(): number; sleep(ms: number): Promise<void> };
}

/** How long a failover keeps trying to create the meeting's room on its new node. */
export const failoverCreateWindowMs = 15_000;
const failoverRetryMs = 250;

/**
 * Carries out the room's media effects on the LiveKit fleet (placement, credentials, moderation, node probes)
 * and reports back as room events. The room's reducer decides, failover included; this only talks to the fleet.
 */
export class RoomMedia {
  constructor(
    private readonly deps: RoomMediaDeps,
    private readonly dispatch: (event: RoomEvent) => Promise<void>,
  ) {}

  async run(effect: SfuEffect, room: { tenantId: string; state: RoomState }): Promise<void> {
    const fleet = this.deps.fleet();
    const mediaRoom = meetingMediaRoom(room.tenantId, room.state.meetingId);
    switch (effect.kind) {
      case "place_media":
        return this.place(fleet, effect, room.state, mediaRoom);
      case "grant_sfu":
        return this.grant(fleet, effect, room.state, mediaRoom);
      case "probe_media": {
        const node = nodeById(fleet, effect.nodeId);
        // A node no longer configured cannot serve the meeting: it counts as a failed probe.
        const healthy = node ? (await this.deps.probe(node)).healthy : false;
        return this.dispatch({ kind: "media_probed", nodeId: effect.nodeId, healthy });
      }
      case "sfu_moderate":
        return this.moderate(fleet, effect, mediaRoom);
      default:
        effect satisfies never;
    }
  }

  private async place(fleet: FleetConfig, effect: Extract<SfuEffect, { kind: "place_media" }>, state: RoomState, mediaRoom: MediaRoomName) {
    const cluster = await this.deps.clusterStats().catch(() => undefined);
    const statuses = new Map<NodeId, NodeStatus>(
      await Promise.all(
        fleetNodes(fleet).map(
          async (node) => [node.id, node.id === effect.excludeNodeId ? unhealthy : await this.nodeStatus(node, cluster)] as const,
        ),
      ),
    );
    const hint = effect.hint ?? undefined;
    const request = { ...(hint ? { hint } : {}), expectedParticipants: effect.expectedParticipants };
    const placement = effect.excludeNodeId
      ? replaceAfterFailure(fleet, statuses, { failedNodeId: effect.excludeNodeId as NodeId, ...request }, placementPolicyFor(fleet))
      : selectNode(fleet, statuses, request, placementPolicyFor(fleet));
    if (!placement.ok) return this.dispatch({ kind: "media_placement_failed", reason: placement.code });
    const node = nodeById(fleet, placement.nodeId)!;
    const settings = {
      emptyTimeoutSeconds: 300,
      maxParticipants: state.settings.maxParticipants,
      metadata: JSON.stringify({ meetingId: state.meetingId }),
    };
    // After a node died, a self-hosted cluster still routes the room's name to it until the dead node's stats are
    // 5 s old, so creating it elsewhere fails (or hangs) for a few seconds: keep trying, briefly, with short requests.
    const failover = effect.excludeNodeId !== undefined;
    const client = this.deps.nodeClient(node, { requestTimeoutSeconds: failover ? 1 : 5 });
    const deadline = this.deps.clock.now() + (failover ? failoverCreateWindowMs : 0);
    for (;;) {
      try {
        await client.createRoom(mediaRoom, settings);
        break;
      } catch (error) {
        if (this.deps.clock.now() >= deadline) return this.dispatch({ kind: "media_placement_failed", reason: codeOf(error) });
        await this.deps.clock.sleep(failoverRetryMs);
      }
    }
    await this.dispatch({ kind: "media_placed", nodeId: node.id, url: node.url });
  }

  private async grant(fleet: FleetConfig, effect: Extract<SfuEffect, { kind: "grant_sfu" }>, state: RoomState, mediaRoom: MediaRoomName) {
    const node = nodeById(fleet, effect.nodeId);
    if (!node) return;
    const client = this.deps.nodeClient(node);
    const grants: SfuGrant[] = [];
    for (const identity of effect.identities) {
      const member = state.members[identity];
      if (!member) continue;
      const access = await client.mintAccessToken({
        room: mediaRoom,
        identity: identity as ParticipantIdentity,
        ...(member.name ? { name: member.name } : {}),
        role: member.role as MediaRole,
        policy: { guestsCanPublish: true },
      });
      grants.push({ identity, url: access.url, token: access.token, expiresAt: access.expiresAt.toISOString() });
    }
    return this.dispatch({ kind: "sfu_grants", nodeId: effect.nodeId, grants });
  }

  private async moderate(fleet: FleetConfig, effect: Extract<SfuEffect, { kind: "sfu_moderate" }>, mediaRoom: MediaRoomName) {
    const node = nodeById(fleet, effect.nodeId);
    const { action } = effect;
    try {
      if (!node) throw new MediaFleetError("sfu_error", "the meeting's media node is no longer configured");
      const client = this.deps.nodeClient(node);
      if (action.kind === "mute") await client.muteParticipant(mediaRoom, action.identity as ParticipantIdentity, action.track);
      else if (action.kind === "remove") await client.removeParticipant(mediaRoom, action.identity as ParticipantIdentity);
      else await client.closeRoom(mediaRoom);
    } catch (error) {
      // Already gone from the SFU is what the host wanted; anything else is reported, never swallowed.
      if (error instanceof MediaFleetError && (error.code === "participant_not_found" || error.code === "room_not_found")) return;
      if (effect.by === "room") throw error;
      await this.dispatch({
        kind: "reject",
        identity: effect.by,
        code: "sfu_action_failed",
        message: `${action.kind.replace("_", " ")} was applied in the meeting but the media server refused it (${codeOf(error)})`,
        ...(effect.ref ? { ref: effect.ref } : {}),
      });
    }
  }

  /**
   * Health from a probe. Load from the cluster's own record of the node when there is one (CPU, clients, rooms,
   * and how old those figures are); otherwise from the node's room list, where CPU is unknown and counts as 0.
   */
  private async nodeStatus(node: FleetNode, cluster: Map<string, ClusterNode> | undefined): Promise<NodeStatus> {
    if (!(await this.deps.probe(node)).healthy) return unhealthy;
    const record = node.clusterRegion ? cluster?.get(node.clusterRegion) : undefined;
    if (record) {
      const statsAgeMs = Math.max(0, this.deps.clock.now() - record.updatedAt * 1000);
      return { healthy: true, participants: record.clients, rooms: record.rooms, cpu: record.cpuLoad, statsAgeMs };
    }
    const load = await this.deps
      .nodeClient(node, { requestTimeoutSeconds: 1 })
      .load()
      .catch(() => undefined);
    return load ? { healthy: true, ...load, cpu: 0, statsAgeMs: 0 } : unhealthy;
  }
}

/** The Worker's RoomMedia: the env's fleet, LiveKit clients over livekit-server-sdk, the cluster's Redis for load. */
export function createRoomMedia(env: Env, dispatch: (event: RoomEvent) => Promise<void>): RoomMedia {
  const { LIVEKIT_CLUSTER_STATS_URL: url, LIVEKIT_CLUSTER_STATS_TOKEN: token } = env;
  return new RoomMedia(
    {
      fleet: () => mediaFleetOf(env),
      nodeClient: (node, options) => createLiveKitNodeClient(node, options),
      probe: (node) => probeNode(node.url, { timeoutMs: 1000 }),
      clusterStats: async () => (url && token ? readClusterStats({ url, token }) : undefined),
      clock: { now: () => Date.now(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) },
    },
    dispatch,
  );
}

const unhealthy: NodeStatus = { healthy: false, participants: 0, rooms: 0, cpu: 0, statsAgeMs: 0 };

const codeOf = (error: unknown) => (error instanceof MediaFleetError ? error.code : "sfu_error");

function nodeById(fleet: FleetConfig, nodeId: string): FleetNode | undefined {
  return fleetNodes(fleet).find((n) => n.id === nodeId);
}
