import { describe, expect, it } from "vitest";
import { parseFleetConfig, type FleetConfig, type FleetNode } from "../../../media-fleet/fleet-config.ts";
import type { ClusterNode } from "../../../media-fleet/livekit/cluster-node.ts";
import { MediaFleetError } from "../../../media-fleet/errors.ts";
import type { MediaRoomName, MediaRoomSettings, MintAccessToken } from "../../../media-fleet/media-fleet.ts";
import type { SfuEffect } from "../core/media-mode.ts";
import { createRoomState, type Member, type RoomEvent, type RoomState } from "../core/room-state.ts";
import { failoverCreateWindowMs, RoomMedia, type NodeClient } from "./room-media.ts";

// RoomMedia against a fake fleet: what it asks of each node and what it reports to the room. The same class runs
// against the real LiveKit nodes in test/media-fleet/sfu-switch.test.ts and test/disruptive/media-failover.test.ts.

const tenantId = "11111111-1111-4111-8111-111111111111";
const meetingId = "22222222-2222-4222-8222-222222222222";
const mediaRoom = `${tenantId}:${meetingId}`;

function fleetOf(raw: unknown): FleetConfig {
  const parsed = parseFleetConfig(raw);
  if (!parsed.ok) throw new Error(parsed.issues.join("; "));
  return parsed.fleet;
}

const node = (id: string, clusterRegion?: string) => ({
  id,
  url: `https://${id}.example`,
  apiKey: "key",
  apiSecret: "secret",
  capacity: { maxParticipants: 100 },
  kind: "self-hosted",
  ...(clusterRegion ? { clusterRegion } : {}),
});
const europe = { label: "Frankfurt", continent: "EU", latitude: 50.1, longitude: 8.7 };
const america = { label: "Virginia", continent: "NA", latitude: 38.9, longitude: -77.4 };
/** Two nodes in Europe (one reporting cluster stats), one in America. */
const fleet = fleetOf({
  regions: [
    { id: "eu", location: europe, nodes: [node("eu-1", "cl-eu-1"), node("eu-2")] },
    { id: "us", location: america, nodes: [node("us-1")] },
  ],
});

type Call = { node: string; op: string; args: unknown[] };

/** The fleet as RoomMedia sees it: per node, whether it answers probes, its load, and what its calls do. */
class FakeFleet {
  readonly calls: Call[] = [];
  readonly events: RoomEvent[] = [];
  readonly down = new Set<string>();
  readonly load = new Map<string, { rooms: number; participants: number }>();
  cluster: Map<string, ClusterNode> | undefined;
  /** node → what `createRoom` does, attempt by attempt (then succeeds). */
  readonly createFailures = new Map<string, MediaFleetError[]>();
  moderationError: Error | undefined;
  now = 1_700_000_000_000;

  readonly media = new RoomMedia(
    {
      fleet: () => fleet,
      nodeClient: (n, options) => this.client(n, options?.requestTimeoutSeconds),
      probe: async (n) => {
        this.calls.push({ node: n.id, op: "probe", args: [] });
        return { healthy: !this.down.has(n.id) };
      },
      clusterStats: async () => this.cluster,
      // Virtual time: a retry loop's sleeps cost nothing and are counted exactly.
      clock: {
        now: () => this.now,
        sleep: async (ms) => {
          this.now += ms;
        },
      },
    },
    async (event) => void this.events.push(event),
  );

  private client(n: FleetNode, timeoutSeconds: number | undefined): NodeClient {
    const record = (op: string, ...args: unknown[]) => this.calls.push({ node: n.id, op, args });
    const refuseIfDown = () => {
      if (this.down.has(n.id)) throw new MediaFleetError("node_unreachable", "connection refused");
    };
    return {
      createRoom: async (room: MediaRoomName, settings: MediaRoomSettings) => {
        record("createRoom", room, settings, timeoutSeconds);
        const failure = this.createFailures.get(n.id)?.shift();
        if (failure) throw failure;
        refuseIfDown();
        return { name: room, sid: "RM_1", participantCount: 0, createdAt: new Date(this.now), ...settings };
      },
      mintAccessToken: async (input: MintAccessToken) => {
        record("mintAccessToken", input);
        return { url: n.url.replace(/^http/, "ws"), token: `jwt:${input.identity}:${input.role}`, expiresAt: new Date(this.now + 600_000) };
      },
      load: async () => {
        record("load");
        refuseIfDown();
        return this.load.get(n.id) ?? { rooms: 0, participants: 0 };
      },
      muteParticipant: async (...args) => {
        record("muteParticipant", ...args);
        if (this.moderationError) throw this.moderationError;
        return [];
      },
      removeParticipant: async (...args) => {
        record("removeParticipant", ...args);
        if (this.moderationError) throw this.moderationError;
      },
      closeRoom: async (...args) => {
        record("closeRoom", ...args);
        if (this.moderationError) throw this.moderationError;
      },
    };
  }

  run(effect: SfuEffect, state: RoomState = roomWith([])) {
    return this.media.run(effect, { tenantId, state });
  }

  callsOf(op: string) {
    return this.calls.filter((c) => c.op === op);
  }
}

function roomWith(members: Array<Pick<Member, "identity" | "role"> & { name?: string }>): RoomState {
  const state = createRoomState(meetingId, { waitingRoom: false, maxParticipants: 40 }, tenantId);
  for (const m of members) {
    state.members[m.identity] = {
      ...m,
      audioMuted: false,
      videoMuted: false,
      handRaised: false,
      connectionQuality: "good",
      joinedAt: "2026-01-01T00:00:00Z",
      connected: true,
      lastSeenAt: 0,
      tokenId: `t-${m.identity}`,
      tokenExpiresAt: "2026-01-01T01:00:00Z",
    };
  }
  return state;
}

const place = (extra: Partial<Extract<SfuEffect, { kind: "place_media" }>> = {}): SfuEffect => ({
  kind: "place_media",
  hint: { continent: "EU" },
  expectedParticipants: 5,
  ...extra,
});

describe("RoomMedia: placement", () => {
  it("places the meeting on the least-loaded healthy node nearest the first joiner and creates its room there", async () => {
    const fake = new FakeFleet();
    // eu-1's cluster record says it is busy; eu-2 (room list only) is idle.
    fake.cluster = new Map([
      [
        "cl-eu-1",
        { id: "ND_1", region: "cl-eu-1", state: "serving", numCpus: 8, updatedAt: fake.now / 1000, rooms: 30, clients: 90, cpuLoad: 0.5 },
      ],
    ]);
    await fake.run(place());
    expect(fake.events).toEqual([{ kind: "media_placed", nodeId: "eu-2", url: "https://eu-2.example" }]);
    const [create] = fake.callsOf("createRoom");
    expect(create).toMatchObject({ node: "eu-2", args: [mediaRoom, { emptyTimeoutSeconds: 300, maxParticipants: 40 }, 5] });
    expect(JSON.parse((create!.args[1] as MediaRoomSettings).metadata)).toEqual({ meetingId });
    // The cluster record stands in for eu-1's room list: only the others are asked for their load.
    expect(
      fake
        .callsOf("load")
        .map((c) => c.node)
        .sort(),
    ).toEqual(["eu-2", "us-1"]);
  });

  it("skips a node whose probe fails, spilling to the next region; with every node down the room is told why", async () => {
    const fake = new FakeFleet();
    fake.down.add("eu-1").add("eu-2");
    await fake.run(place());
    expect(fake.events).toEqual([{ kind: "media_placed", nodeId: "us-1", url: "https://us-1.example" }]);

    const dark = new FakeFleet();
    for (const id of ["eu-1", "eu-2", "us-1"]) dark.down.add(id);
    await dark.run(place());
    expect(dark.events).toEqual([{ kind: "media_placement_failed", reason: "no_healthy_node" }]);
    expect(dark.callsOf("createRoom")).toEqual([]);
  });

  it("a first placement whose room cannot be created fails at once with the fleet's code (no retry)", async () => {
    const fake = new FakeFleet();
    fake.createFailures.set("eu-1", [new MediaFleetError("unauthorized", "bad key")]);
    await fake.run(place());
    expect(fake.events).toEqual([{ kind: "media_placement_failed", reason: "unauthorized" }]);
    expect(fake.callsOf("createRoom")).toHaveLength(1);
  });
});

describe("RoomMedia: failover placement", () => {
  const unreachable = () => new MediaFleetError("node_unreachable", "the cluster still routes the room to the dead node");

  it("never goes back to the failed node, and keeps creating the room while the cluster still routes it to the dead one", async () => {
    const fake = new FakeFleet();
    fake.createFailures.set("eu-2", Array.from({ length: 12 }, unreachable));
    const startedAt = fake.now;
    await fake.run(place({ excludeNodeId: "eu-1" }));
    expect(fake.events).toEqual([{ kind: "media_placed", nodeId: "eu-2", url: "https://eu-2.example" }]);
    const creates = fake.callsOf("createRoom");
    expect(creates).toHaveLength(13);
    // Short requests, so a hanging attempt does not eat the window; a quarter second between attempts.
    expect(creates.every((c) => c.node === "eu-2" && c.args[2] === 1)).toBe(true);
    expect(fake.now - startedAt).toBe(12 * 250);
    // The failed node is not even probed: the room already knows it is gone.
    expect(fake.calls.filter((c) => c.node === "eu-1")).toEqual([]);
  });

  it("gives up when the window closes, and the room is told with the fleet's code", async () => {
    const fake = new FakeFleet();
    fake.createFailures.set("eu-2", Array.from({ length: 1_000 }, unreachable));
    const startedAt = fake.now;
    await fake.run(place({ excludeNodeId: "eu-1" }));
    expect(fake.events).toEqual([{ kind: "media_placement_failed", reason: "node_unreachable" }]);
    expect(fake.now - startedAt).toBeGreaterThanOrEqual(failoverCreateWindowMs);
    expect(fake.now - startedAt).toBeLessThan(failoverCreateWindowMs + 250);
  });
});

describe("RoomMedia: credentials", () => {
  it("mints one token per member still in the room, with the member's role, for the meeting's room on that node", async () => {
    const fake = new FakeFleet();
    const state = roomWith([
      { identity: "ada", role: "host", name: "Ada" },
      { identity: "bob", role: "guest" },
    ]);
    await fake.run({ kind: "grant_sfu", nodeId: "eu-2", identities: ["ada", "bob", "gone"] }, state);
    expect(fake.callsOf("mintAccessToken").map((c) => [c.node, c.args[0]])).toEqual([
      ["eu-2", { room: mediaRoom, identity: "ada", name: "Ada", role: "host", policy: { guestsCanPublish: true } }],
      ["eu-2", { room: mediaRoom, identity: "bob", role: "guest", policy: { guestsCanPublish: true } }],
    ]);
    expect(fake.events).toEqual([
      {
        kind: "sfu_grants",
        nodeId: "eu-2",
        grants: [
          { identity: "ada", url: "wss://eu-2.example", token: "jwt:ada:host", expiresAt: new Date(fake.now + 600_000).toISOString() },
          { identity: "bob", url: "wss://eu-2.example", token: "jwt:bob:guest", expiresAt: new Date(fake.now + 600_000).toISOString() },
        ],
      },
    ]);
  });

  it("mints nothing for a node the fleet no longer lists", async () => {
    const fake = new FakeFleet();
    await fake.run({ kind: "grant_sfu", nodeId: "retired", identities: ["ada"] }, roomWith([{ identity: "ada", role: "host" }]));
    expect(fake.calls).toEqual([]);
    expect(fake.events).toEqual([]);
  });
});

describe("RoomMedia: moderation", () => {
  const mute: SfuEffect = {
    kind: "sfu_moderate",
    nodeId: "eu-1",
    action: { kind: "mute", identity: "bob", track: "audio" },
    by: "ada",
    ref: "f7",
  };

  it("carries the host's action out on the meeting's node", async () => {
    const fake = new FakeFleet();
    await fake.run(mute);
    await fake.run({ kind: "sfu_moderate", nodeId: "eu-1", action: { kind: "remove", identity: "bob" }, by: "ada" });
    await fake.run({ kind: "sfu_moderate", nodeId: "eu-1", action: { kind: "close_room" }, by: "ada" });
    expect(fake.calls.map((c) => [c.node, c.op, c.args])).toEqual([
      ["eu-1", "muteParticipant", [mediaRoom, "bob", "audio"]],
      ["eu-1", "removeParticipant", [mediaRoom, "bob"]],
      ["eu-1", "closeRoom", [mediaRoom]],
    ]);
    expect(fake.events).toEqual([]);
  });

  it("someone already gone from the SFU is what the host wanted: nothing reported", async () => {
    const fake = new FakeFleet();
    fake.moderationError = new MediaFleetError("participant_not_found", "no such participant");
    await fake.run(mute);
    expect(fake.events).toEqual([]);
  });

  it("a refusal is reported to the host who asked, under the frame's ref, with the fleet's code and no detail", async () => {
    const fake = new FakeFleet();
    fake.moderationError = new MediaFleetError("node_unreachable", "connect ECONNREFUSED 10.0.0.7:7880");
    await fake.run(mute);
    expect(fake.events).toEqual([
      {
        kind: "reject",
        identity: "ada",
        code: "sfu_action_failed",
        message: "mute was applied in the meeting but the media server refused it (node_unreachable)",
        ref: "f7",
      },
    ]);
    const other = new FakeFleet();
    other.moderationError = new Error("something unexpected");
    await other.run({ ...mute, action: { kind: "close_room" } });
    expect(other.events).toMatchObject([
      { kind: "reject", message: "close room was applied in the meeting but the media server refused it (sfu_error)" },
    ]);
  });

  it("a refusal of the room's own action (no host to tell) is thrown to the shell, which logs it", async () => {
    const fake = new FakeFleet();
    fake.moderationError = new MediaFleetError("sfu_error", "internal");
    await expect(fake.run({ kind: "sfu_moderate", nodeId: "eu-1", action: { kind: "close_room" }, by: "room" })).rejects.toThrow(
      MediaFleetError,
    );
    expect(fake.events).toEqual([]);
  });
});

describe("RoomMedia: probing the meeting's node", () => {
  it("reports every probe to the room, good or bad: the room's rule decides what it means", async () => {
    const fake = new FakeFleet();
    await fake.run({ kind: "probe_media", nodeId: "eu-1" });
    fake.down.add("eu-1");
    await fake.run({ kind: "probe_media", nodeId: "eu-1" });
    expect(fake.events).toEqual([
      { kind: "media_probed", nodeId: "eu-1", healthy: true },
      { kind: "media_probed", nodeId: "eu-1", healthy: false },
    ]);
  });

  it("a node the fleet no longer lists counts as a failed probe", async () => {
    const fake = new FakeFleet();
    await fake.run({ kind: "probe_media", nodeId: "retired" });
    expect(fake.events).toEqual([{ kind: "media_probed", nodeId: "retired", healthy: false }]);
    expect(fake.calls).toEqual([]);
  });
});
