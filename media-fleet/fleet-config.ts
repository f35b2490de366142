import { z } from "zod";
import { NodeId, RegionId } from "../protocol/ids.ts";

/**
 * The media fleet as configured: regions, each holding LiveKit nodes. Pure: validated from JSON or from the
 * single-node LIVEKIT_* variables, never throws, and never echoes a secret in an issue.
 */

/** Continent codes as Cloudflare reports them in `request.cf.continent`. */
export const continents = ["AF", "AN", "AS", "EU", "NA", "OC", "SA"] as const;
export type Continent = (typeof continents)[number];

export type NodeKind = "cloud" | "self-hosted";

export interface RegionLocation {
  /** For people reading logs and dashboards, e.g. "Virginia". */
  label?: string;
  continent: Continent;
  /** Approximate; only used to rank regions by distance. */
  latitude: number;
  longitude: number;
}

export interface NodeCapacity {
  maxParticipants: number;
  /** No room limit when absent. */
  maxRooms?: number;
}

export interface FleetNode {
  id: NodeId;
  regionId: RegionId;
  url: string;
  apiKey: string;
  apiSecret: string;
  capacity: NodeCapacity;
  kind: NodeKind;
  /**
   * Self-hosted only: the LiveKit `region` this node reports in its cluster's Redis, where its CPU load and client
   * counts are read from (the room-service API has no CPU figure). One node per LiveKit region.
   */
  clusterRegion?: string;
}

export interface FleetRegion {
  id: RegionId;
  /** Required once the fleet has more than one region: it is what chooses between them. */
  location?: RegionLocation;
  nodes: readonly FleetNode[];
}

export interface FleetConfig {
  /** In the operator's order, which is also the fallback order when a client gives no usable location. */
  regions: readonly FleetRegion[];
  /**
   * CPU load (0..1) at which a node takes no new meetings; default 0.85. `null`: no limit, for nodes sharing one
   * machine (their CPU figure is the machine's, like LiveKit's own `sysload_limit` set out of reach there).
   */
  cpuLimit?: number | null;
}

export type FleetConfigResult = { ok: true; fleet: FleetConfig } | { ok: false; issues: string[] };

// Node ids may follow LiveKit's own (`ND_…`), so case and '_' are allowed.

const nodeUrl = z
  .url({ protocol: /^(https?|wss?)$/, message: "must be an http, https, ws or wss URL" })
  // A URL with user:password@ would put credentials in every log line that prints it.
  .refine((value) => !/^[a-z]+:\/\/[^/?#]*@/i.test(value), "must not carry credentials (use apiKey/apiSecret)");

const nodeSchema = z.strictObject({
  id: NodeId,
  url: nodeUrl,
  apiKey: z.string().min(1, "is required"),
  apiSecret: z.string().min(1, "is required"),
  capacity: z.strictObject({
    maxParticipants: z.number().int().positive(),
    maxRooms: z.number().int().positive().optional(),
  }),
  kind: z.enum(["cloud", "self-hosted"]),
  clusterRegion: z.string().min(1).max(64).optional(),
});

const locationSchema = z.strictObject({
  label: z.string().min(1).max(100).optional(),
  continent: z.enum(continents),
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
});

const regionSchema = z.strictObject({
  id: RegionId,
  location: locationSchema.optional(),
  nodes: z.array(nodeSchema).min(1, "a region needs at least one node"),
});

export const fleetConfigSchema = z
  .strictObject({
    regions: z.array(regionSchema).min(1, "the fleet needs at least one region"),
    cpuLimit: z.number().gt(0).max(1).nullable().optional(),
  })
  .superRefine((fleet, ctx) => {
    const regionSeen = new Set<string>();
    const nodeSeen = new Map<string, string>();
    fleet.regions.forEach((region, r) => {
      if (regionSeen.has(region.id))
        ctx.addIssue({ code: "custom", path: ["regions", r, "id"], message: `duplicate region id "${region.id}"` });
      regionSeen.add(region.id);
      if (fleet.regions.length > 1 && !region.location) {
        ctx.addIssue({ code: "custom", path: ["regions", r, "location"], message: "is required when the fleet has more than one region" });
      }
      region.nodes.forEach((node, n) => {
        const first = nodeSeen.get(node.id);
        if (first !== undefined) {
          ctx.addIssue({
            code: "custom",
            path: ["regions", r, "nodes", n, "id"],
            message: `duplicate node id "${node.id}" (first in region "${first}")`,
          });
        } else nodeSeen.set(node.id, region.id);
      });
    });
  });

/** Every string found under an `apiSecret` key, however malformed the rest of the input is. */
function secretsIn(raw: unknown, found: string[] = [], depth = 0): string[] {
  if (depth > 8 || raw === null || typeof raw !== "object") return found;
  for (const [key, value] of Object.entries(raw)) {
    if (key === "apiSecret" && typeof value === "string" && value.length > 0) found.push(value);
    else secretsIn(value, found, depth + 1);
  }
  return found;
}

function scrub(message: string, secrets: readonly string[]): string {
  let out = message;
  for (const secret of secrets) out = out.split(secret).join("[redacted]");
  return out;
}

const formatPath = (path: readonly PropertyKey[]) =>
  path.reduce<string>((out, key) => (typeof key === "number" ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), "");

export function parseFleetConfig(raw: unknown): FleetConfigResult {
  const parsed = fleetConfigSchema.safeParse(raw);
  if (!parsed.success) {
    // zod's messages do not quote input values today; scrubbing keeps that true whatever a message says.
    const secrets = secretsIn(raw);
    const issues = parsed.error.issues.map((issue) => {
      const where = formatPath(issue.path);
      return scrub(where ? `${where}: ${issue.message}` : issue.message, secrets);
    });
    return { ok: false, issues };
  }
  const regions = parsed.data.regions.map((region): FleetRegion => {
    const regionId = region.id;
    const nodes = region.nodes.map((node): FleetNode => ({ ...node, regionId }));
    return region.location ? { id: regionId, location: region.location, nodes } : { id: regionId, nodes };
  });
  const { cpuLimit } = parsed.data;
  return { ok: true, fleet: cpuLimit === undefined ? { regions } : { regions, cpuLimit } };
}

/**
 * MEDIA_FLEET_CONFIG (JSON) when set; otherwise one region (LIVEKIT_REGION, default "local") holding the single
 * node LIVEKIT_URL / LIVEKIT_API_KEY / LIVEKIT_API_SECRET, as local development and small deployments run.
 */
export function fleetConfigFromEnv(env: Record<string, string | undefined>): FleetConfigResult {
  const json = env.MEDIA_FLEET_CONFIG?.trim();
  if (json) {
    let raw: unknown;
    try {
      raw = JSON.parse(json);
    } catch {
      // JSON.parse's message quotes the text around the error, which may be a secret.
      return { ok: false, issues: ["MEDIA_FLEET_CONFIG: is not valid JSON"] };
    }
    const result = parseFleetConfig(raw);
    return result.ok ? result : { ok: false, issues: result.issues.map((issue) => `MEDIA_FLEET_CONFIG: ${issue}`) };
  }

  const missing = (["LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET"] as const).filter((name) => !env[name]);
  if (missing.length) return { ok: false, issues: [`set MEDIA_FLEET_CONFIG, or ${missing.join(", ")}`] };
  const regionId = env.LIVEKIT_REGION?.trim() || "local";
  const result = parseFleetConfig({
    regions: [
      {
        id: regionId,
        nodes: [
          {
            id: `${regionId}-1`,
            url: env.LIVEKIT_URL,
            apiKey: env.LIVEKIT_API_KEY,
            apiSecret: env.LIVEKIT_API_SECRET,
            // No declared limit: with one node there is nowhere to spill to, so the node's own limits decide.
            capacity: { maxParticipants: Number.MAX_SAFE_INTEGER },
            kind: "self-hosted",
          },
        ],
      },
    ],
  });
  if (result.ok) return result;
  const rename = (issue: string) =>
    issue
      .replace(/^regions\[0\]\.nodes\[0\]\.url/, "LIVEKIT_URL")
      .replace(/^regions\[0\]\.nodes\[0\]\.id/, "LIVEKIT_REGION")
      .replace(/^regions\[0\]\.id/, "LIVEKIT_REGION");
  return { ok: false, issues: [...new Set(result.issues.map(rename))] };
}

/** Every node of the fleet, region by region in the operator's order. */
export function fleetNodes(fleet: FleetConfig): FleetNode[] {
  return fleet.regions.flatMap((region) => region.nodes);
}

export interface RedactedFleet {
  regions: {
    id: string;
    location?: RegionLocation;
    nodes: { id: string; url: string; apiKey: string; kind: NodeKind; capacity: NodeCapacity; clusterRegion?: string }[];
  }[];
}

/** The fleet as it may be logged: everything but the API secrets. */
export function redactFleet(fleet: FleetConfig): RedactedFleet {
  return {
    regions: fleet.regions.map((region) => ({
      id: region.id,
      ...(region.location ? { location: { ...region.location } } : {}),
      nodes: region.nodes.map((node) => ({
        id: node.id,
        url: node.url,
        apiKey: node.apiKey,
        kind: node.kind,
        capacity: { ...node.capacity },
        ...(node.clusterRegion ? { clusterRegion: node.clusterRegion } : {}),
      })),
    })),
  };
}
