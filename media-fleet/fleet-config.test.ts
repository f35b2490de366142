import { describe, expect, it } from "vitest";
import { fleetConfigFromEnv, parseFleetConfig, redactFleet, type FleetConfig, type FleetConfigResult } from "./fleet-config.ts";

const secret = "s3cr3t-DO-NOT-LOG-9f8e7d";

const node = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  url: `wss://${id}.example.net`,
  apiKey: `key-${id}`,
  apiSecret: secret,
  capacity: { maxParticipants: 500 },
  kind: "cloud",
  ...extra,
});

const region = (id: string, nodes: Record<string, unknown>[], extra: Record<string, unknown> = {}) => ({
  id,
  location: { label: id, continent: "NA", latitude: 39, longitude: -77 },
  nodes,
  ...extra,
});

const validRaw = () => ({
  regions: [
    region("us-east", [node("use-1"), node("use-2", { capacity: { maxParticipants: 300, maxRooms: 20 }, kind: "self-hosted" })]),
    region("eu-west", [node("euw-1", { url: "https://euw-1.example.net:7880" })], {
      location: { continent: "EU", latitude: 53.3, longitude: -6.3 },
    }),
  ],
});

function fleetOf(result: FleetConfigResult): FleetConfig {
  expect(result).toMatchObject({ ok: true });
  return (result as Extract<FleetConfigResult, { ok: true }>).fleet;
}

function issuesOf(result: FleetConfigResult): string[] {
  expect(result.ok).toBe(false);
  return (result as Extract<FleetConfigResult, { ok: false }>).issues;
}

describe("parseFleetConfig", () => {
  it("accepts a two-region fleet and tags every node with its region", () => {
    const fleet = fleetOf(parseFleetConfig(validRaw()));
    expect(fleet.regions.map((r) => r.id)).toEqual(["us-east", "eu-west"]);
    expect(fleet.regions[0]!.nodes.map((n) => [n.id, n.regionId, n.kind])).toEqual([
      ["use-1", "us-east", "cloud"],
      ["use-2", "us-east", "self-hosted"],
    ]);
    expect(fleet.regions[0]!.nodes[1]!.capacity).toEqual({ maxParticipants: 300, maxRooms: 20 });
    expect(fleet.regions[1]!.location).toEqual({ continent: "EU", latitude: 53.3, longitude: -6.3 });
  });

  it.each(["http://a.example", "https://a.example", "ws://127.0.0.1:7880", "wss://a.example/rtc"])("accepts node url %s", (url) => {
    expect(parseFleetConfig({ regions: [region("us-east", [node("n1", { url })])] }).ok).toBe(true);
  });

  it.each(["ftp://a.example", "a.example", "wss://", "", "javascript:alert(1)"])("rejects node url %j", (url) => {
    expect(issuesOf(parseFleetConfig({ regions: [region("us-east", [node("n1", { url })])] }))).toEqual([
      "regions[0].nodes[0].url: must be an http, https, ws or wss URL",
    ]);
  });

  it("keeps the fleet's CPU limit, including none, and refuses one outside 0..1", () => {
    const regions = [{ id: "eu-west", nodes: [node("sfu-1")] }];
    const limited = parseFleetConfig({ regions, cpuLimit: 0.7 });
    expect(limited.ok && limited.fleet.cpuLimit).toBe(0.7);
    const unlimited = parseFleetConfig({ regions, cpuLimit: null });
    expect(unlimited.ok && unlimited.fleet.cpuLimit).toBeNull();
    expect(parseFleetConfig({ regions, cpuLimit: 1.5 }).ok).toBe(false);
    expect(parseFleetConfig({ regions, cpuLimit: 0 }).ok).toBe(false);
  });

  it("keeps a self-hosted node's cluster region, where its CPU figures are read from", () => {
    const result = parseFleetConfig({ regions: [{ id: "eu-west", nodes: [node("sfu-1", { clusterRegion: "eu-west-1" })] }] });
    expect(result.ok && result.fleet.regions[0]!.nodes[0]!.clusterRegion).toBe("eu-west-1");
    expect(parseFleetConfig({ regions: [{ id: "eu-west", nodes: [node("sfu-1", { clusterRegion: "" })] }] }).ok).toBe(false);
  });

  it("rejects a URL carrying credentials without repeating them", () => {
    const issues = issuesOf(parseFleetConfig({ regions: [region("us-east", [node("n1", { url: `wss://key:${secret}@a.example` })])] }));
    expect(issues).toEqual(["regions[0].nodes[0].url: must not carry credentials (use apiKey/apiSecret)"]);
  });

  it("rejects a node id used twice, even across regions", () => {
    const raw = validRaw();
    raw.regions[1]!.nodes.push(node("use-2"));
    expect(issuesOf(parseFleetConfig(raw))).toEqual(['regions[1].nodes[1].id: duplicate node id "use-2" (first in region "us-east")']);
  });

  it("rejects a region id used twice", () => {
    const raw = { regions: [region("us-east", [node("a")]), region("us-east", [node("b")])] };
    expect(issuesOf(parseFleetConfig(raw))).toEqual(['regions[1].id: duplicate region id "us-east"']);
  });

  it("rejects an empty fleet and a region without nodes", () => {
    expect(issuesOf(parseFleetConfig({ regions: [] }))).toEqual(["regions: the fleet needs at least one region"]);
    expect(issuesOf(parseFleetConfig({ regions: [region("us-east", [])] }))).toEqual([
      "regions[0].nodes: a region needs at least one node",
    ]);
  });

  it.each([null, "fleet", 42, [], {}])("rejects %j as a fleet", (raw) => {
    expect(issuesOf(parseFleetConfig(raw)).length).toBeGreaterThan(0);
  });

  it("names every missing node field", () => {
    const issues = issuesOf(parseFleetConfig({ regions: [region("us-east", [{ id: "n1" }])] }));
    expect(issues.map((issue) => issue.split(":")[0])).toEqual([
      "regions[0].nodes[0].url",
      "regions[0].nodes[0].apiKey",
      "regions[0].nodes[0].apiSecret",
      "regions[0].nodes[0].capacity",
      "regions[0].nodes[0].kind",
    ]);
  });

  it.each([
    ["a zero capacity", { capacity: { maxParticipants: 0 } }, "regions[0].nodes[0].capacity.maxParticipants"],
    ["a fractional room limit", { capacity: { maxParticipants: 10, maxRooms: 1.5 } }, "regions[0].nodes[0].capacity.maxRooms"],
    ["an unknown kind", { kind: "edge" }, "regions[0].nodes[0].kind"],
    ["an empty api key", { apiKey: "" }, "regions[0].nodes[0].apiKey"],
    ["an empty api secret", { apiSecret: "" }, "regions[0].nodes[0].apiSecret"],
    ["an id with spaces", { id: "node 1" }, "regions[0].nodes[0].id"],
    ["a misspelt field", { apisecret: "x" }, "regions[0].nodes[0]"],
  ])("rejects %s", (_, patch, path) => {
    const issues = issuesOf(parseFleetConfig({ regions: [region("us-east", [node("n1", patch)])] }));
    expect(issues).toHaveLength(1);
    expect(issues[0]!.startsWith(`${path}: `)).toBe(true);
  });

  it.each([
    ["an unknown continent", { continent: "XX", latitude: 0, longitude: 0 }, "regions[0].location.continent"],
    ["a latitude past the pole", { continent: "EU", latitude: 91, longitude: 0 }, "regions[0].location.latitude"],
    ["a longitude off the map", { continent: "EU", latitude: 0, longitude: -181 }, "regions[0].location.longitude"],
  ])("rejects a region location with %s", (_, location, path) => {
    const issues = issuesOf(parseFleetConfig({ regions: [region("us-east", [node("n1")], { location })] }));
    expect(issues.map((issue) => issue.split(":")[0])).toEqual([path]);
  });

  it("lets a lone region go without a location but requires one once there are several", () => {
    expect(parseFleetConfig({ regions: [{ id: "local", nodes: [node("n1")] }] }).ok).toBe(true);
    const issues = issuesOf(parseFleetConfig({ regions: [{ id: "local", nodes: [node("n1")] }, region("us-east", [node("n2")])] }));
    expect(issues).toEqual(["regions[0].location: is required when the fleet has more than one region"]);
  });

  it("never puts an api secret in an issue, whatever field is wrong", () => {
    const raw = {
      regions: [
        region(secret, [
          node(secret, { url: secret, kind: secret, capacity: { maxParticipants: secret } }),
          node("n2", { apiSecret: 12345, [secret]: secret }),
          node(secret),
        ]),
      ],
      [secret]: true,
    };
    const issues = issuesOf(parseFleetConfig(raw));
    expect(issues.length).toBeGreaterThan(4);
    for (const issue of issues) expect(issue).not.toContain(secret);
  });
});

describe("fleetConfigFromEnv", () => {
  const livekitEnv = { LIVEKIT_URL: "ws://127.0.0.1:7880", LIVEKIT_API_KEY: "devkey", LIVEKIT_API_SECRET: secret };

  it("builds a one-region, one-node fleet from the LIVEKIT_* variables, region 'local' by default", () => {
    const fleet = fleetOf(fleetConfigFromEnv(livekitEnv));
    expect(fleet.regions).toHaveLength(1);
    expect(fleet.regions[0]!.id).toBe("local");
    expect(fleet.regions[0]!.nodes).toEqual([
      expect.objectContaining({
        id: "local-1",
        regionId: "local",
        url: livekitEnv.LIVEKIT_URL,
        apiKey: "devkey",
        apiSecret: secret,
        kind: "self-hosted",
      }),
    ]);
  });

  it("uses LIVEKIT_REGION for the region when set", () => {
    const fleet = fleetOf(fleetConfigFromEnv({ ...livekitEnv, LIVEKIT_REGION: "eu-west" }));
    expect(fleet.regions[0]!.id).toBe("eu-west");
    expect(fleet.regions[0]!.nodes[0]!.id).toBe("eu-west-1");
  });

  it("names the missing variables, and only them", () => {
    expect(issuesOf(fleetConfigFromEnv({ LIVEKIT_API_SECRET: secret }))).toEqual([
      "set MEDIA_FLEET_CONFIG, or LIVEKIT_URL, LIVEKIT_API_KEY",
    ]);
  });

  it("reports a bad LIVEKIT_URL or LIVEKIT_REGION by variable name", () => {
    expect(issuesOf(fleetConfigFromEnv({ ...livekitEnv, LIVEKIT_URL: "localhost:7880" }))).toEqual([
      "LIVEKIT_URL: must be an http, https, ws or wss URL",
    ]);
    expect(issuesOf(fleetConfigFromEnv({ ...livekitEnv, LIVEKIT_REGION: "EU West" })).every((i) => i.startsWith("LIVEKIT_REGION: "))).toBe(
      true,
    );
  });

  it("prefers MEDIA_FLEET_CONFIG over the LIVEKIT_* variables", () => {
    const fleet = fleetOf(fleetConfigFromEnv({ ...livekitEnv, MEDIA_FLEET_CONFIG: JSON.stringify(validRaw()) }));
    expect(fleet.regions.map((r) => r.id)).toEqual(["us-east", "eu-west"]);
  });

  it("reports MEDIA_FLEET_CONFIG problems under its name", () => {
    const raw = validRaw();
    raw.regions[0]!.nodes[0]!.url = "gopher://x";
    expect(issuesOf(fleetConfigFromEnv({ MEDIA_FLEET_CONFIG: JSON.stringify(raw) }))).toEqual([
      "MEDIA_FLEET_CONFIG: regions[0].nodes[0].url: must be an http, https, ws or wss URL",
    ]);
  });

  it("rejects malformed JSON without quoting any of it", () => {
    const issues = issuesOf(fleetConfigFromEnv({ MEDIA_FLEET_CONFIG: `{"regions": [{"apiSecret": "${secret}" oops` }));
    expect(issues).toEqual(["MEDIA_FLEET_CONFIG: is not valid JSON"]);
  });
});

describe("redactFleet", () => {
  it("keeps what helps an operator and drops every api secret", () => {
    const fleet = fleetOf(parseFleetConfig(validRaw()));
    const redacted = redactFleet(fleet);
    expect(JSON.stringify(redacted)).not.toContain(secret);
    expect(redacted.regions[1]).toEqual({
      id: "eu-west",
      location: { continent: "EU", latitude: 53.3, longitude: -6.3 },
      nodes: [
        { id: "euw-1", url: "https://euw-1.example.net:7880", apiKey: "key-euw-1", kind: "cloud", capacity: { maxParticipants: 500 } },
      ],
    });
  });

  it("is a copy: changing it leaves the fleet alone", () => {
    const fleet = fleetOf(parseFleetConfig(validRaw()));
    redactFleet(fleet).regions[0]!.nodes[0]!.capacity.maxParticipants = 1;
    expect(fleet.regions[0]!.nodes[0]!.capacity.maxParticipants).toBe(500);
  });
});
