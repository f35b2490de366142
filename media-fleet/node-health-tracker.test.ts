import { describe, expect, it } from "vitest";
import type { NodeId } from "../protocol/ids.ts";
import { NodeHealthTracker, type HealthPolicy, type ProbeOutcome } from "./node-health-tracker.ts";
import { defaultPlacementPolicy, selectNode } from "./node-selection.ts";
import { parseFleetConfig, type FleetConfig } from "./fleet-config.ts";

const a = "node-a" as NodeId;
const b = "node-b" as NodeId;
const up = { healthy: true };
const fail = { healthy: false };

/** Probes `node` at 500 ms intervals starting at `from`, one outcome per tick; returns the time of the last. */
function probes(tracker: NodeHealthTracker, node: NodeId, from: number, outcomes: ProbeOutcome[]): number {
  outcomes.forEach((outcome, i) => tracker.observeProbe(node, outcome, from + i * 500));
  return from + (outcomes.length - 1) * 500;
}

describe("NodeHealthTracker: probes", () => {
  it("knows nothing of a node never probed, and placement skips it", () => {
    const tracker = new NodeHealthTracker();
    expect(tracker.status(a, 0)).toBeUndefined();
    expect(tracker.health(a, 0).state).toBe("unknown");
  });

  it("a node that answers is healthy, with the age of its last answer", () => {
    const tracker = new NodeHealthTracker();
    tracker.observeProbe(a, { healthy: true, load: { participants: 12, rooms: 3, cpu: 0.4 } }, 1_000);
    expect(tracker.status(a, 1_250)).toEqual({ healthy: true, participants: 12, rooms: 3, cpu: 0.4, statsAgeMs: 250 });
    expect(tracker.health(a, 1_250).state).toBe("healthy");
  });

  it("one failed probe makes it suspect but still healthy; two in a row make it unhealthy", () => {
    const tracker = new NodeHealthTracker();
    probes(tracker, a, 0, [up, fail]);
    expect(tracker.health(a, 500).state).toBe("suspect");
    expect(tracker.status(a, 500)?.healthy).toBe(true);
    tracker.observeProbe(a, fail, 1_000);
    expect(tracker.health(a, 1_000)).toMatchObject({ state: "unhealthy", consecutiveFailures: 2 });
    expect(tracker.status(a, 1_000)?.healthy).toBe(false);
  });

  it("failures that are not consecutive never add up", () => {
    const tracker = new NodeHealthTracker();
    probes(tracker, a, 0, [up, fail, up, fail, up, fail]);
    expect(tracker.health(a, 2_500).state).toBe("suspect");
  });

  it("a node that went down needs two successes in a row to come back", () => {
    const tracker = new NodeHealthTracker();
    const t = probes(tracker, a, 0, [up, fail, fail, up]);
    expect(tracker.status(a, t)?.healthy).toBe(false);
    tracker.observeProbe(a, fail, t + 500);
    tracker.observeProbe(a, up, t + 1_000);
    expect(tracker.status(a, t + 1_000)?.healthy).toBe(false);
    tracker.observeProbe(a, up, t + 1_500);
    expect(tracker.health(a, t + 1_500).state).toBe("healthy");
  });

  it("a probe result older than one already recorded is ignored (a slow probe lost the race)", () => {
    const tracker = new NodeHealthTracker();
    probes(tracker, a, 0, [up, fail, fail]);
    tracker.observeProbe(a, up, 600); // started before the probe at 1 000 ms answered
    expect(tracker.health(a, 1_000)).toMatchObject({ state: "unhealthy", consecutiveFailures: 2 });
  });

  it("a node nobody has heard from lately goes stale for placement even though no probe failed", () => {
    const tracker = new NodeHealthTracker();
    tracker.observeProbe(a, up, 0);
    const status = tracker.status(a, defaultPlacementPolicy.staleAfterMs + 1);
    expect(status).toMatchObject({ healthy: true, statsAgeMs: defaultPlacementPolicy.staleAfterMs + 1 });
    expect(status!.statsAgeMs).toBeGreaterThan(defaultPlacementPolicy.staleAfterMs);
  });

  it("a node that has only ever failed has an infinite age, so it is stale whatever its flag says", () => {
    const tracker = new NodeHealthTracker();
    tracker.observeProbe(a, fail, 0);
    expect(tracker.status(a, 0)).toMatchObject({ statsAgeMs: Infinity });
  });

  it("keeps the last reported load when a probe brings none, and passes draining through", () => {
    const tracker = new NodeHealthTracker();
    tracker.observeProbe(a, { healthy: true, load: { participants: 5, rooms: 1, cpu: 0.2, draining: true } }, 0);
    tracker.observeProbe(a, up, 500);
    expect(tracker.status(a, 500)).toEqual({ healthy: true, participants: 5, rooms: 1, cpu: 0.2, statsAgeMs: 0, draining: true });
  });
});

describe("NodeHealthTracker: client reports", () => {
  it("one client reconnecting alone does not condemn a node that answers probes", () => {
    const tracker = new NodeHealthTracker();
    tracker.observeProbe(a, up, 0);
    tracker.observeClient(a, "alice", "reconnecting", 100);
    expect(tracker.health(a, 100)).toMatchObject({ state: "suspect", troubledClients: 1 });
    tracker.observeProbe(a, up, 500);
    expect(tracker.status(a, 500)?.healthy).toBe(true);
  });

  it("a client reconnecting and then one failed probe: unhealthy without waiting for the second", () => {
    const tracker = new NodeHealthTracker();
    tracker.observeProbe(a, up, 0);
    tracker.observeClient(a, "alice", "reconnecting", 100);
    tracker.observeProbe(a, fail, 500);
    expect(tracker.health(a, 500).state).toBe("unhealthy");
  });

  it("one failed probe and then a client reconnecting: unhealthy at the report", () => {
    const tracker = new NodeHealthTracker();
    probes(tracker, a, 0, [up, fail]);
    tracker.observeClient(a, "alice", "disconnected", 600);
    expect(tracker.health(a, 600).state).toBe("unhealthy");
  });

  it("three distinct clients in trouble make it unhealthy even while its API answers, until they reconnect", () => {
    const tracker = new NodeHealthTracker();
    tracker.observeProbe(a, up, 0);
    for (const client of ["alice", "bob"]) tracker.observeClient(a, client, "reconnecting", 100);
    tracker.observeClient(a, "alice", "reconnecting", 150); // the same client twice is still one
    expect(tracker.health(a, 150).state).toBe("suspect");
    tracker.observeClient(a, "carol", "reconnecting", 200);
    expect(tracker.status(a, 200)?.healthy).toBe(false);
    tracker.observeClient(a, "bob", "connected", 300);
    expect(tracker.health(a, 300)).toMatchObject({ state: "suspect", troubledClients: 2 });
  });

  it("a report stops counting after its time to live", () => {
    const policy: HealthPolicy = { failuresToUnhealthy: 2, successesToRecover: 2, reportTtlMs: 1_000, reportersToUnhealthy: 3 };
    const tracker = new NodeHealthTracker(policy);
    tracker.observeProbe(a, up, 0);
    for (const client of ["alice", "bob", "carol"]) tracker.observeClient(a, client, "reconnecting", 100);
    expect(tracker.health(a, 1_099).state).toBe("unhealthy");
    expect(tracker.health(a, 1_100)).toMatchObject({ state: "healthy", troubledClients: 0 });
    tracker.observeProbe(a, fail, 1_500); // an old report no longer corroborates a failure
    expect(tracker.health(a, 1_500).state).toBe("suspect");
  });

  it("a node that comes back after an outage is not held down by the reports of clients that left it", () => {
    const tracker = new NodeHealthTracker();
    tracker.observeProbe(a, up, 0);
    for (const client of ["alice", "bob", "carol"]) tracker.observeClient(a, client, "disconnected", 100);
    const t = probes(tracker, a, 500, [fail, fail, up, up]); // restarted; nobody reports `connected` to it
    expect(tracker.health(a, t)).toMatchObject({ state: "healthy", troubledClients: 0 });
  });

  it("a report made after the node came back still counts", () => {
    const tracker = new NodeHealthTracker();
    probes(tracker, a, 0, [fail, fail, up]);
    tracker.observeClient(a, "alice", "reconnecting", 1_100);
    tracker.observeProbe(a, up, 1_500);
    expect(tracker.health(a, 1_500)).toMatchObject({ state: "suspect", troubledClients: 1 });
  });

  it("reports about one node say nothing about another", () => {
    const tracker = new NodeHealthTracker();
    tracker.observeProbe(a, up, 0);
    tracker.observeProbe(b, up, 0);
    for (const client of ["alice", "bob", "carol"]) tracker.observeClient(a, client, "reconnecting", 100);
    expect(tracker.status(b, 100)?.healthy).toBe(true);
  });
});

describe("NodeHealthTracker feeds placement", () => {
  const parsed = parseFleetConfig({
    regions: [
      {
        id: "local",
        nodes: [a, b].map((id) => ({ id, url: `http://${id}.test`, apiKey: "key", apiSecret: "secret", capacity: { maxParticipants: 10 }, kind: "self-hosted" })),
      },
    ],
  });
  if (!parsed.ok) throw new Error(parsed.issues.join("; "));
  const fleet: FleetConfig = parsed.fleet;

  it("a node killed between probes loses its meeting within one probe interval of a client noticing", () => {
    const tracker = new NodeHealthTracker();
    probes(tracker, a, 0, [up, up]);
    probes(tracker, b, 0, [{ healthy: true, load: { participants: 9, rooms: 1, cpu: 0.5 } }, up]);
    const meeting = { expectedParticipants: 1, current: { nodeId: a } };
    expect(selectNode(fleet, tracker.statusesAt(600), meeting)).toMatchObject({ ok: true, nodeId: a, reason: "sticky" });
    // Killed at 700 ms: a client sees its connection drop at once, the probe at 1 000 ms is refused.
    tracker.observeClient(a, "alice", "reconnecting", 720);
    expect(selectNode(fleet, tracker.statusesAt(720), meeting)).toMatchObject({ nodeId: a, reason: "sticky" });
    tracker.observeProbe(a, fail, 1_000);
    tracker.observeProbe(b, up, 1_000);
    expect(selectNode(fleet, tracker.statusesAt(1_000), meeting)).toMatchObject({ ok: true, nodeId: b, reason: "nearest" });
  });
});
