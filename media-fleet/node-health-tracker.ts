import type { NodeId } from "../protocol/ids.ts";
import type { NodeStatus, NodeStatusSource } from "./node-selection.ts";

/**
 * Pure health bookkeeping for media nodes: turns probe results and clients' connection reports into the
 * `NodeStatus` records placement reads. Time is passed in, never read, so a timeline replays exactly.
 *
 * A node goes down after `failuresToUnhealthy` consecutive failed probes, or after one when a client has just
 * reported losing its connection to it (the two agree), or while `reportersToUnhealthy` distinct clients report
 * trouble (the API may answer while media is broken). Once down it needs `successesToRecover` successes in a
 * row, so a node that flaps does not get meetings back between two failures; coming back clears the clients'
 * reports from before.
 */

export interface HealthPolicy {
  failuresToUnhealthy: number;
  successesToRecover: number;
  /** How long a client's `reconnecting` report counts, unless the client reports `connected` sooner. */
  reportTtlMs: number;
  reportersToUnhealthy: number;
}

export const defaultHealthPolicy: HealthPolicy = { failuresToUnhealthy: 2, successesToRecover: 2, reportTtlMs: 10_000, reportersToUnhealthy: 3 };

/** What a node carries besides being up; placement weighs it. Unknown figures count as idle. */
export interface NodeLoad {
  participants: number;
  rooms: number;
  /** 0..1 */
  cpu: number;
  draining?: boolean;
}

/** One probe's outcome; `node-health.ts` produces these for LiveKit nodes. */
export interface ProbeOutcome {
  healthy: boolean;
  load?: NodeLoad;
}

/** How a client's connection to its SFU node stands, as the client reports it. */
export type ClientConnectionState = "connected" | "reconnecting" | "disconnected";

export type NodeHealthState = "unknown" | "healthy" | "suspect" | "unhealthy";

export interface NodeHealth {
  state: NodeHealthState;
  consecutiveFailures: number;
  /** Clients whose report of trouble still counts. */
  troubledClients: number;
  lastSuccessAt?: number;
  lastProbeAt?: number;
}

interface NodeRecord {
  consecutiveFailures: number;
  consecutiveSuccesses: number;
  /** Latched by failures, released by `successesToRecover` successes. */
  down: boolean;
  /** When the current run of successes began. */
  upSince?: number;
  lastProbeAt?: number;
  lastSuccessAt?: number;
  load: NodeLoad;
  /** client → when it reported trouble */
  reports: Map<string, number>;
}

const idleLoad: NodeLoad = { participants: 0, rooms: 0, cpu: 0 };

export class NodeHealthTracker {
  private readonly nodes = new Map<NodeId, NodeRecord>();

  constructor(private readonly policy: HealthPolicy = defaultHealthPolicy) {}

  /** Records a probe that started at `at`; one older than a result already recorded is ignored (it raced). */
  observeProbe(nodeId: NodeId, outcome: ProbeOutcome, at: number): void {
    const node = this.record(nodeId);
    if (node.lastProbeAt !== undefined && at < node.lastProbeAt) return;
    node.lastProbeAt = at;
    if (outcome.healthy) {
      node.consecutiveFailures = 0;
      if (node.consecutiveSuccesses++ === 0) node.upSince = at;
      node.lastSuccessAt = at;
      if (outcome.load) node.load = outcome.load;
      if (node.down && node.consecutiveSuccesses >= this.policy.successesToRecover) {
        node.down = false;
        // Reports from before it came back are about the outage it recovered from (its clients moved away
        // and will not say `connected` to it again); newer ones still count.
        for (const [client, reportedAt] of node.reports) if (reportedAt < node.upSince!) node.reports.delete(client);
      }
    } else {
      node.consecutiveSuccesses = 0;
      node.consecutiveFailures++;
      const corroborated = this.troubledClients(node, at) > 0;
      if (node.consecutiveFailures >= this.policy.failuresToUnhealthy || corroborated) node.down = true;
    }
  }

  /** A client's view of its connection to the node; `connected` withdraws its earlier report. */
  observeClient(nodeId: NodeId, clientId: string, state: ClientConnectionState, at: number): void {
    const node = this.record(nodeId);
    if (state === "connected") {
      node.reports.delete(clientId);
      return;
    }
    for (const [client, reportedAt] of node.reports) if (at - reportedAt >= this.policy.reportTtlMs) node.reports.delete(client);
    node.reports.set(clientId, at);
    // A probe already failed and now a client lost the node too: no need to wait for the next probe.
    if (node.consecutiveFailures > 0) node.down = true;
  }

  health(nodeId: NodeId, now: number): NodeHealth {
    const node = this.nodes.get(nodeId);
    if (!node) return { state: "unknown", consecutiveFailures: 0, troubledClients: 0 };
    const troubledClients = this.troubledClients(node, now);
    return {
      state: this.stateOf(node, troubledClients),
      consecutiveFailures: node.consecutiveFailures,
      troubledClients,
      ...(node.lastSuccessAt === undefined ? {} : { lastSuccessAt: node.lastSuccessAt }),
      ...(node.lastProbeAt === undefined ? {} : { lastProbeAt: node.lastProbeAt }),
    };
  }

  /**
   * What placement reads, as of `now`. A node never probed has no status (placement skips it); the age is
   * that of the last successful probe, so a node nobody has heard from lately goes stale.
   */
  status(nodeId: NodeId, now: number): NodeStatus | undefined {
    const node = this.nodes.get(nodeId);
    if (!node) return undefined;
    const state = this.stateOf(node, this.troubledClients(node, now));
    return {
      healthy: state === "healthy" || state === "suspect",
      participants: node.load.participants,
      rooms: node.load.rooms,
      cpu: node.load.cpu,
      statsAgeMs: node.lastSuccessAt === undefined ? Infinity : now - node.lastSuccessAt,
      ...(node.load.draining ? { draining: true } : {}),
    };
  }

  /** A view frozen at `now`, for `selectNode`, `replaceAfterFailure` and `decideFailover`. */
  statusesAt(now: number): NodeStatusSource {
    return { get: (nodeId) => this.status(nodeId, now) };
  }

  private stateOf(node: NodeRecord, troubledClients: number): NodeHealthState {
    if (node.down || troubledClients >= this.policy.reportersToUnhealthy) return "unhealthy";
    if (node.lastSuccessAt === undefined) return node.consecutiveFailures > 0 ? "suspect" : "unknown";
    return node.consecutiveFailures > 0 || troubledClients > 0 ? "suspect" : "healthy";
  }

  private troubledClients(node: NodeRecord, now: number): number {
    let count = 0;
    for (const at of node.reports.values()) if (now - at < this.policy.reportTtlMs) count++;
    return count;
  }

  private record(nodeId: NodeId): NodeRecord {
    let node = this.nodes.get(nodeId);
    if (!node) {
      node = { consecutiveFailures: 0, consecutiveSuccesses: 0, down: false, load: idleLoad, reports: new Map() };
      this.nodes.set(nodeId, node);
    }
    return node;
  }
}
