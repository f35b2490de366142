import { parseFleetConfig, type Continent, type FleetConfig, type FleetNode } from "../media-fleet/fleet-config.ts";
import type { NodeId } from "../protocol/ids.ts";
import { selectNode, type NodeStatus, type Placement } from "../media-fleet/node-selection.ts";
import type { LocationHint } from "../protocol/location-hint.ts";
import { greatCircleKm } from "../media-fleet/region-distance.ts";
import { summarize, type LatencySummary } from "./latency-stats.ts";
import { seededRandom } from "../media-fleet/autoscale/seeded-random.ts";

/**
 * Media placement throughput: node-selection (regions ranked, then one scan of the nearest region with room) on a
 * synthetic 10,000-node fleet, against the obvious baseline that filters every node, measures each one's
 * distance and sorts them all. Pure CPU in one process, no services; both see the same fleet, statuses and
 * Cloudflare-style hints, and the baseline's answers are checked against ours.
 */

export interface PlacementBenchOptions {
  nodes: number;
  decisions: number;
  baselineDecisions: number;
  seed: number;
}

export const defaultPlacementBenchOptions: PlacementBenchOptions = { nodes: 10_000, decisions: 50_000, baselineDecisions: 1_000, seed: 42 };

const regions: [id: string, continent: Continent, latitude: number, longitude: number][] = [
  ["us-east", "NA", 39.0, -77.5],
  ["us-west", "NA", 45.6, -121.2],
  ["ca-central", "NA", 45.5, -73.6],
  ["sa-east", "SA", -23.5, -46.6],
  ["eu-west", "EU", 53.3, -6.3],
  ["eu-central", "EU", 50.1, 8.7],
  ["eu-north", "EU", 59.3, 18.1],
  ["me-central", "AS", 25.2, 55.3],
  ["ap-south", "AS", 19.1, 72.9],
  ["ap-southeast", "AS", 1.35, 103.8],
  ["ap-northeast", "AS", 35.7, 139.7],
  ["oc-east", "OC", -33.9, 151.2],
];

/** Where the simulated clients are: [country, continent, latitude, longitude]; each hint jitters one of them. */
const cities: [string, Continent, number, number][] = [
  ["US", "NA", 40.7, -74.0],
  ["US", "NA", 34.1, -118.2],
  ["US", "NA", 41.9, -87.6],
  ["US", "NA", 29.8, -95.4],
  ["CA", "NA", 43.7, -79.4],
  ["MX", "NA", 19.4, -99.1],
  ["BR", "SA", -23.6, -46.6],
  ["AR", "SA", -34.6, -58.4],
  ["CO", "SA", 4.7, -74.1],
  ["GB", "EU", 51.5, -0.1],
  ["FR", "EU", 48.9, 2.4],
  ["DE", "EU", 52.5, 13.4],
  ["ES", "EU", 40.4, -3.7],
  ["IT", "EU", 45.5, 9.2],
  ["PL", "EU", 52.2, 21.0],
  ["SE", "EU", 59.3, 18.1],
  ["TR", "AS", 41.0, 29.0],
  ["AE", "AS", 25.2, 55.3],
  ["IN", "AS", 19.1, 72.9],
  ["IN", "AS", 28.6, 77.2],
  ["SG", "AS", 1.35, 103.8],
  ["ID", "AS", -6.2, 106.8],
  ["JP", "AS", 35.7, 139.7],
  ["KR", "AS", 37.6, 127.0],
  ["AU", "OC", -33.9, 151.2],
  ["NZ", "OC", -36.8, 174.8],
  ["ZA", "AF", -26.2, 28.0],
  ["NG", "AF", 6.5, 3.4],
  ["EG", "AF", 30.0, 31.2],
  ["KE", "AF", -1.3, 36.8],
];

function syntheticFleet(nodes: number): FleetConfig {
  const result = parseFleetConfig({
    regions: regions.map(([id, continent, latitude, longitude], r) => ({
      id,
      location: { continent, latitude, longitude },
      nodes: Array.from({ length: Math.floor(nodes / regions.length) + (r < nodes % regions.length ? 1 : 0) }, (_, i) => ({
        id: `${id}-${String(i).padStart(4, "0")}`,
        url: `wss://${id}-${i}.sfu.example.net`,
        apiKey: "bench",
        apiSecret: "bench-secret",
        capacity: { maxParticipants: [100, 250, 500][i % 3]!, ...(i % 4 === 0 ? { maxRooms: 50 } : {}) },
        kind: i % 5 === 0 ? "self-hosted" : "cloud",
      })),
    })),
  });
  if (!result.ok) throw new Error(`synthetic fleet is invalid: ${result.issues.join("; ")}`);
  return result.fleet;
}

/** Regions at their evening peak: nearly every node too full or too hot, so their clients mostly spill over. */
const saturated = new Set(["eu-west", "ap-northeast"]);

/** A busy fleet: most nodes fit, many too full or too hot for a new meeting, a few down, draining or stale. */
function syntheticStatuses(fleet: FleetConfig, next: () => number): Map<NodeId, NodeStatus> {
  const statuses = new Map<NodeId, NodeStatus>();
  for (const region of fleet.regions) {
    const peak = saturated.has(region.id);
    for (const node of region.nodes) {
      const max = node.capacity.maxParticipants;
      statuses.set(node.id, {
        healthy: next() > 0.03,
        draining: next() < 0.01,
        participants: peak ? max - Math.floor(next() * 12) : Math.floor(next() * max),
        rooms: Math.floor(next() * 60),
        cpu: peak ? 0.8 + next() * 0.2 : next(),
        statsAgeMs: next() * 11_000,
      });
    }
  }
  return statuses;
}

function syntheticHints(count: number, next: () => number): LocationHint[] {
  return Array.from({ length: count }, () => {
    const [country, continent, latitude, longitude] = cities[Math.floor(next() * cities.length)]!;
    // Cloudflare sends coordinates as strings.
    return {
      country,
      continent,
      latitude: (latitude + (next() - 0.5) * 4).toFixed(4),
      longitude: (longitude + (next() - 0.5) * 4).toFixed(4),
      colo: "XXX",
    };
  });
}

/** Every rule applied to every node, then one sort: what placement looks like without an index. */
function naivePlacement(fleet: FleetConfig, statuses: Map<NodeId, NodeStatus>, hint: LocationHint, expected: number): Placement {
  const client = { latitude: Number(hint.latitude), longitude: Number(hint.longitude) };
  const candidates: { node: FleetNode; km: number; score: number }[] = [];
  for (const region of fleet.regions) {
    for (const node of region.nodes) {
      const s = statuses.get(node.id);
      if (!s || !s.healthy || s.draining || !(s.statsAgeMs <= 10_000)) continue;
      if (
        s.participants + expected > node.capacity.maxParticipants ||
        s.rooms + 1 > (node.capacity.maxRooms ?? Infinity) ||
        !(s.cpu < 0.85)
      )
        continue;
      const score = 0.5 * ((s.participants + expected) / node.capacity.maxParticipants) + 0.5 * s.cpu;
      candidates.push({ node, km: greatCircleKm(client, region.location!), score });
    }
  }
  candidates.sort((a, b) => a.km - b.km || a.score - b.score || (a.node.id < b.node.id ? -1 : a.node.id > b.node.id ? 1 : 0));
  const best = candidates[0];
  if (!best) return { ok: false, code: "fleet_full", message: "no node has room" };
  return { ok: true, regionId: best.node.regionId, nodeId: best.node.id, reason: "nearest" };
}

function measure(count: number, decide: (i: number) => Placement): { summary: LatencySummary; results: Placement[] } {
  const samples = new Array<number>(count);
  const results = new Array<Placement>(count);
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    results[i] = decide(i);
    samples[i] = performance.now() - t0;
  }
  return { summary: summarize(samples, performance.now() - started), results };
}

const us = (ms: number) => `${(ms * 1000).toFixed(1).padStart(8)} µs`;
const row = (name: string, s: LatencySummary) =>
  `${name.padEnd(48)} ${s.perSecond.toFixed(0).padStart(9)}/s  p50 ${us(s.p50)}  p99 ${us(s.p99)}  (${s.count} decisions)`;

export async function benchPlacement(options: PlacementBenchOptions = defaultPlacementBenchOptions): Promise<void> {
  // Seeded so every run places the same meetings on the same fleet.
  const next = seededRandom(options.seed);
  const fleet = syntheticFleet(options.nodes);
  const statuses = syntheticStatuses(fleet, next);
  const hints = syntheticHints(options.decisions, next);
  const expected = hints.map(() => 1 + Math.floor(next() * 20));
  const decide = (i: number) => selectNode(fleet, statuses, { hint: hints[i]!, expectedParticipants: expected[i]! });

  // The first decision builds the fleet index; the warm-up lets the JIT settle before either measurement.
  const indexStarted = performance.now();
  decide(0);
  const indexMs = performance.now() - indexStarted;
  for (let i = 0; i < 2_000; i++) decide(i % options.decisions);
  for (let i = 0; i < 10; i++) naivePlacement(fleet, statuses, hints[i]!, expected[i]!);

  const ours = measure(options.decisions, decide);
  const baseline = measure(options.baselineDecisions, (i) => naivePlacement(fleet, statuses, hints[i]!, expected[i]!));

  // Same rules, so the same answers: a placement bench that disagreed with its baseline would prove nothing.
  let agree = 0;
  baseline.results.forEach((b, i) => {
    const o = ours.results[i]!;
    if (b.ok === o.ok && (b.ok && o.ok ? b.nodeId === o.nodeId : true)) agree++;
  });
  const spilled = ours.results.filter((r) => r.ok && r.reason === "spillover").length;
  const refused = ours.results.filter((r) => !r.ok).length;

  console.log(
    `\nMedia placement (${options.nodes.toLocaleString("en")} nodes in ${fleet.regions.length} regions, Cloudflare-style hints, 1-20 participants; pure CPU, one process)`,
  );
  console.log(row("baseline: filter + distance + sort every node", baseline.summary));
  console.log(row("ours: node-selection (ranked regions, one scan)", ours.summary));
  console.log(
    `fleet index built on first use in ${indexMs.toFixed(1)} ms; ${spilled} of ${options.decisions} spilled to a farther region, ${refused} refused;` +
      ` baseline agrees on ${agree} of ${options.baselineDecisions}`,
  );
  console.log(
    `ratio (ours / baseline): throughput ${(ours.summary.perSecond / baseline.summary.perSecond).toFixed(1)}x, p50 latency ${(ours.summary.p50 / baseline.summary.p50).toFixed(4)}x`,
  );
  if (agree !== options.baselineDecisions) throw new Error("placement disagrees with the naive baseline");
}
