import { execFile } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import { promisify } from "node:util";
import { dispose, type Room, RoomEvent } from "@livekit/rtc-node";
import { Redis } from "ioredis";
import { RoomServiceClient } from "livekit-server-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseFleetConfig, type FleetConfig } from "../../media-fleet/fleet-config.ts";
import type { NodeId } from "../../protocol/ids.ts";
import { createLiveKitNodeClient, type LiveKitNode, type LiveKitNodeClient } from "../../media-fleet/livekit/livekit-node-client.ts";
import { probeNode } from "../../media-fleet/livekit/node-health.ts";
import { decideFailover } from "../../media-fleet/media-failover.ts";
import { MediaFleetError, mediaRoomName, type MediaRoom, type MediaRoomName } from "../../media-fleet/media-fleet.ts";
import { NodeHealthTracker, type ClientConnectionState } from "../../media-fleet/node-health-tracker.ts";
import { selectNode } from "../../media-fleet/node-selection.ts";
import { isAlive, logFile, runningPid, sleep } from "../../scripts/lib/daemon.ts";
import { host, loadOrCreateSecrets, ports, type LocalSecrets } from "../../scripts/lib/local-config.ts";
import { binDir } from "../../scripts/lib/paths.ts";
import { livekitBService, livekitNodeA, livekitNodeB, type LocalLivekitNode } from "../../scripts/services/livekit.ts";
import type { ParticipantIdentity } from "../../protocol/ids.ts";
import { LiveKitBot } from "../support/livekit-bot.ts";

// Failover with real media across the two-node local LiveKit cluster (TEST_SERVICES must include redis, livekit
// and livekit-b). The meeting runs on livekit-b, which is killed with SIGKILL; the test plays the meeting room:
// it probes both nodes, hears the bots' connection reports, decides with the tracker and decideFailover, re-creates
// the room on livekit (node A) and moves every bot there. livekit-b is the one killed because node A is what the
// Worker and the other suites use, and they may be running at the same time; the test restarts livekit-b.
//
// The fleet has one region per node, "local-a" and "local-b", matching each node's LiveKit `region`: with LiveKit's
// region-aware selector the node a room is created through is the node that hosts it, so our placement decides
// where a room lives (with one region LiveKit would put it on a random node of the cluster).

const execFileAsync = promisify(execFile);
const runId = `test-failover-${crypto.randomUUID()}`;
const room = mediaRoomName(runId);
/** Created on node A right after the kill, to time how soon the cluster takes a name it has never seen. */
const freshRoom = mediaRoomName(`${runId}-fresh`);
const primary = livekitNodeB; // hosts the meeting, then dies
const standby = livekitNodeA;
const nodeId = (node: LocalLivekitNode) => node.service as NodeId;
const publishers = ["ada", "bob", "cy"] as const;
const video = { width: 160, height: 120, fps: 15 };
const settings = { emptyTimeoutSeconds: 60, maxParticipants: 10, metadata: "{}" };
const policy = { guestsCanPublish: false };

let secrets: LocalSecrets;
let fleet: FleetConfig;
let redis: Redis;
const clients = new Map<NodeId, LiveKitNodeClient>();
/**
 * Node A's client with a 1 s request timeout, for calls that hang while the cluster still routes them to the dead
 * node (re-creating its room, removing its participant).
 */
let impatient: LiveKitNodeClient;
const tracker = new NodeHealthTracker();
const bots = new Set<LiveKitBot>();
const leaving: Promise<void>[] = [];
let stopProbing: () => Promise<void> = async () => {};
/** Where each node's log stood when the test began: only what follows is about this run. */
const logOffsets = new Map<string, number>();
/** livekit-b's process and LiveKit node id, once the first test found them; `killed` once it is killed. */
let primaryProcess: { pid: number; livekitId: string } | undefined;
let killed: typeof primaryProcess;

// ---- the cluster as LiveKit sees it ------------------------------------------------------------------------

interface ClusterNode {
  id: string;
  region: string;
  state: string;
}

/** `livekit-server list-nodes`: every node registered in the cluster's Redis, with its region and state. */
async function clusterNodes(): Promise<ClusterNode[]> {
  const { stdout } = await execFileAsync(`${binDir}/livekit-server-v1.13.5`, ["--config", standby.configFile, "list-nodes"], { timeout: 10_000 });
  const nodes: ClusterNode[] = [];
  for (const line of stdout.split("\n")) {
    const cells = line.split("│").map((cell) => cell.trim());
    if (/^ND_/.test(cells[1] ?? "")) nodes.push({ id: cells[1]!, region: cells[3] ?? "", state: "" });
    const state = /^\((\w+)\)$/.exec(cells[1] ?? "");
    if (state && nodes.length) nodes[nodes.length - 1]!.state = state[1]!;
  }
  return nodes;
}

/** The region of the node LiveKit routes the room to (its `room_node_map` entry in Redis), or undefined. */
async function regionHostingRoom(name: MediaRoomName): Promise<string | undefined> {
  const id = await redis.hget("room_node_map", name);
  return (await clusterNodes()).find((node) => node.id === id)?.region;
}

interface WebhookEvent {
  event: string;
  roomID: string;
  participant?: string;
  participantID?: string;
}

/**
 * The webhook events a node emitted for the room since the test began, read from its log: livekit-server logs
 * each one ("sent webhook", or "failed to send webhook" when the Worker is not running).
 */
function webhookEvents(node: LocalLivekitNode, name: MediaRoomName): WebhookEvent[] {
  const text = fs.readFileSync(logFile(node.service)).subarray(logOffsets.get(node.service) ?? 0).toString("utf8");
  return text
    .split("\n")
    .filter((line) => /\t(sent|failed to send|dropped) webhook\t/.test(line) && line.includes(`"room": "${name}"`))
    .map((line) => JSON.parse(line.slice(line.indexOf("{"))) as WebhookEvent);
}

// ---- bots and their connection reports -----------------------------------------------------------------------

/**
 * LiveKitBot keeps its rtc-node Room private; the orchestrator needs its connection events, as a browser's
 * LiveKit client would report them to the meeting room.
 */
const rtcRoomOf = (bot: LiveKitBot) => (bot as unknown as { room: Room }).room;

const reports: { identity: string; state: ClientConnectionState; at: number }[] = [];

function reportConnection(bot: LiveKitBot, node: NodeId) {
  const report = (state: ClientConnectionState) => () => {
    const at = performance.now();
    reports.push({ identity: bot.identity, state, at });
    tracker.observeClient(node, bot.identity, state, at);
  };
  rtcRoomOf(bot)
    .on(RoomEvent.Reconnecting, report("reconnecting"))
    .on(RoomEvent.Reconnected, report("connected"))
    .on(RoomEvent.Disconnected, report("disconnected"));
}

async function join(node: LocalLivekitNode, who: string, options: { publish: boolean }): Promise<LiveKitBot> {
  const access = await clients.get(nodeId(node))!.mintAccessToken({ room, identity: who as ParticipantIdentity, name: who, role: "participant", policy });
  const bot = await LiveKitBot.connect(access.url, access.token, { subscribe: options.publish });
  bots.add(bot);
  reportConnection(bot, nodeId(node));
  if (options.publish) await Promise.all([bot.publishAudio(), bot.publishVideo(video)]);
  return bot;
}

/** Every bot hears and sees every other: some audible audio and a few video frames from each. */
const allReceiving = (group: LiveKitBot[]) =>
  group.every((bot) =>
    group.every((other) => other === bot || (bot.from(other.identity).audibleAudioFrames >= 10 && bot.from(other.identity).videoFrames >= 3)),
  );

async function until<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, what: string, everyMs = 50): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/**
 * Starts `attempt` every `everyMs` without waiting for the ones in flight, and resolves with the first success.
 * While the cluster routes the name to the dead node a request hangs until its timeout; overlapping attempts
 * notice the release within `everyMs` instead of within a whole timeout.
 */
function firstSuccess<T>(attempt: () => Promise<T>, everyMs: number, timeoutMs: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearInterval(ticker);
      clearTimeout(deadline);
      outcome();
    };
    const launch = () => {
      if (!settled) attempt().then((value) => finish(() => resolve(value)), () => undefined);
    };
    const ticker = setInterval(launch, everyMs);
    const deadline = setTimeout(() => finish(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`))), timeoutMs);
    launch();
  });
}

// ---- the orchestrator's probe loop ------------------------------------------------------------------------------

/** Probes both nodes every `intervalMs`, as the meeting room's side would; returns the function that stops it. */
function startProbing(intervalMs = 500): () => Promise<void> {
  let running = true;
  const loop = (async () => {
    while (running) {
      const at = performance.now();
      const results = await Promise.all(
        [primary, standby].map(async (node) => [nodeId(node), await probeNode(node.url, { timeoutMs: 400 })] as const),
      );
      for (const [id, probe] of results) tracker.observeProbe(id, probe, at);
      await sleep(Math.max(0, intervalMs - (performance.now() - at)));
    }
  })();
  return async () => {
    running = false;
    await loop;
  };
}

function buildFleet(nodes: LocalLivekitNode[]): FleetConfig {
  const parsed = parseFleetConfig({
    regions: nodes.map((node) => ({
      id: node.region,
      location: { label: `this machine (${node.service})`, continent: "EU", latitude: node.latitude, longitude: node.longitude },
      nodes: [{ id: node.service, url: node.url, apiKey: secrets.livekitApiKey, apiSecret: secrets.livekitApiSecret, capacity: { maxParticipants: 50 }, kind: "self-hosted" }],
    })),
  });
  if (!parsed.ok) throw new Error(parsed.issues.join("; "));
  return parsed.fleet;
}

/** Brings livekit-b back (a no-op when it runs) and waits until the cluster lists a fresh livekit-b SERVING. */
async function restartPrimary(): Promise<ClusterNode> {
  if (killed) await until(() => (isAlive(killed!.pid) ? undefined : true), 5_000, "the killed process to be reaped", 100);
  await livekitBService.up(secrets);
  return until(
    async () => (await clusterNodes()).find((node) => node.region === primary.region && node.id !== killed?.livekitId && node.state === "SERVING"),
    20_000,
    `${primary.service} listed SERVING again`,
    500,
  );
}

beforeAll(async () => {
  secrets = await loadOrCreateSecrets();
  for (const node of [primary, standby]) {
    const probe = await probeNode(node.url);
    if (!probe.healthy) throw new Error(`${node.service} is not serving (${probe.error}); TEST_SERVICES must include redis,livekit,livekit-b`);
    logOffsets.set(node.service, fs.statSync(logFile(node.service)).size);
    const key: LiveKitNode = { url: node.url, apiKey: secrets.livekitApiKey, apiSecret: secrets.livekitApiSecret };
    clients.set(nodeId(node), createLiveKitNodeClient(key));
    if (node === standby) impatient = createLiveKitNodeClient(key, { requestTimeoutSeconds: 1 });
  }
  fleet = buildFleet([standby, primary]);
  redis = new Redis({ host, port: ports.redis, lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  stopProbing = startProbing();
  const now = () => performance.now();
  await until(() => (tracker.status(nodeId(primary), now()) && tracker.status(nodeId(standby), now()) ? true : undefined), 2_000, "the first probes");
});

afterAll(async () => {
  await stopProbing();
  await Promise.all([...bots].map((bot) => bot.disconnect()));
  await Promise.all(leaving);
  const service = new RoomServiceClient(standby.url, secrets.livekitApiKey, secrets.livekitApiSecret, { failover: false });
  for (const name of [room, freshRoom]) await service.deleteRoom(name).catch(() => undefined);
  // Stops the native WebRTC runtime; without it the worker process never exits.
  await dispose();
  // Leave the stack as it was, whatever failed above.
  if (killed) await restartPrimary();
  redis?.disconnect();
}, 60_000);

// ---- the scenario ---------------------------------------------------------------------------------------------

let group: LiveKitBot[] = [];
let ghost: LiveKitBot | undefined;
let oldSids: Record<string, string> = {};
let recreated: MediaRoom | undefined;
let originalSid = "";

describe("a meeting's media fails over to another node of the cluster", () => {
  it("is placed on livekit-b, LiveKit hosts the room there, and three bots exchange audio and video", async () => {
    const placement = selectNode(fleet, tracker.statusesAt(performance.now()), { hint: { regionId: primary.region }, expectedParticipants: 4 });
    expect(placement).toMatchObject({ ok: true, nodeId: primary.service });

    originalSid = (await clients.get(nodeId(primary))!.createRoom(room, settings)).sid;
    expect(await regionHostingRoom(room)).toBe(primary.region);

    group = await Promise.all(publishers.map((who) => join(primary, who, { publish: true })));
    // A participant who will not come back after the crash: it neither publishes nor subscribes.
    ghost = await join(primary, "ghost", { publish: false });
    await until(() => (allReceiving(group) ? true : undefined), 15_000, "everyone's media on livekit-b");
    oldSids = Object.fromEntries((await clients.get(nodeId(primary))!.listParticipants(room)).map((p) => [p.identity, p.sid]));
    expect(Object.keys(oldSids).sort()).toEqual(["ada", "bob", "cy", "ghost"]);
    const livekitId = (await clusterNodes()).find((node) => node.region === primary.region)?.id;
    expect(livekitId).toMatch(/^ND_/);
    primaryProcess = { pid: runningPid(primary.service)!, livekitId: livekitId! };
    expect(primaryProcess.pid, `${primary.service} pid file`).toBeGreaterThan(0);
  });

  it("after kill -9 of livekit-b every bot rejoins on livekit and receives everyone's audio and video again", async () => {
    expect(group).toHaveLength(3);
    killed = primaryProcess!;
    const killedAt = performance.now();
    process.kill(killed.pid, "SIGKILL");
    const since = (t: number) => Math.round(t - killedAt);

    // The meeting room's side: decide from what the probes and the clients say.
    const decision = await until(
      () => {
        const d = decideFailover(fleet, tracker.statusesAt(performance.now()), { current: nodeId(primary), participants: 4 });
        return d.action === "stay" ? undefined : d;
      },
      5_000,
      "the failover decision",
      20,
    );
    const decidedAt = performance.now();
    expect(decision).toMatchObject({ action: "move", from: primary.service, to: standby.service, sameRegion: false, cause: "unhealthy" });

    // The cluster still lists the dead node's room (its record lives in Redis), under its old sid.
    const service = new RoomServiceClient(standby.url, secrets.livekitApiKey, secrets.livekitApiSecret, { failover: false, requestTimeout: 2 });
    expect((await service.listRooms([room])).map((r) => r.sid)).toEqual([originalSid]);

    // The same name again (a meeting's room is named after it). While the cluster still counts livekit-b as alive
    // it routes the name there and the request hangs; once livekit-b's stats are 5 s old the room is placed anew.
    // A name the cluster has never seen is placed at once: timed alongside, for comparison.
    let freshAcceptedAt: number | undefined;
    void impatient.createRoom(freshRoom, settings).then(() => (freshAcceptedAt = performance.now()), () => undefined);
    let attempts = 0;
    recreated = await firstSuccess(() => (attempts++, impatient.createRoom(room, settings)), 200, 15_000, "the room on livekit");
    const roomReadyAt = performance.now();
    expect(freshAcceptedAt, "a new name is placed before the dead node's name is released").toBeLessThan(roomReadyAt);

    // Every bot drops its dead session (nothing waits for that) and joins the new node with a fresh token.
    const identities = group.map((bot) => bot.identity);
    for (const old of [...group, ghost!]) {
      bots.delete(old);
      leaving.push(old.disconnect());
    }
    group = await Promise.all(identities.map((who) => join(standby, who, { publish: true })));
    const rejoinedAt = performance.now();
    await until(() => (allReceiving(group) ? true : undefined), 10_000, "everyone's media on livekit");
    const recoveredAt = performance.now();

    const firstReport = reports.find((r) => r.at >= killedAt && r.state !== "connected");
    console.info(
      `[failover] kill -9 → every bot receiving every other's audio and video: ${since(recoveredAt)} ms ` +
        `(first client report ${firstReport ? `${since(firstReport.at)} ms, ${firstReport.state}` : "none"}; ` +
        `decision ${since(decidedAt)} ms; same-name room accepted ${since(roomReadyAt)} ms after ${attempts} attempts; ` +
        `fresh name accepted ${freshAcceptedAt === undefined ? "never" : `${since(freshAcceptedAt)} ms`}; ` +
        `bots rejoined and publishing ${since(rejoinedAt)} ms)`,
    );
    expect(recoveredAt - killedAt).toBeLessThan(20_000);
    expect(await regionHostingRoom(room)).toBe(standby.region);
  }, 45_000);

  it("LiveKit never closes out the dead node's room: no participant_left or room_finished, and the name keeps its sid", async () => {
    // livekit-b announced the room and everyone in it, then died: nothing says they left.
    const fromDead = webhookEvents(primary, room);
    expect(fromDead.filter((e) => e.event === "participant_joined").map((e) => e.participant).sort()).toEqual(["ada", "bob", "cy", "ghost"]);
    expect(fromDead.filter((e) => e.event === "participant_left" || e.event === "room_finished")).toEqual([]);

    // Re-created under the same name, it is the same room to LiveKit: same sid, a second room_started with no
    // room_finished between, and the bots join again under new participant sids.
    expect(recreated!.sid).toBe(originalSid);
    const fromStandby = await until(
      () => {
        const events = webhookEvents(standby, room);
        return events.filter((e) => e.event === "participant_joined").length >= 3 ? events : undefined;
      },
      3_000,
      "livekit's webhooks for the room",
    );
    expect(fromStandby.filter((e) => e.event === "room_started").map((e) => e.roomID)).toEqual([originalSid]);
    const rejoined = fromStandby.filter((e) => e.event === "participant_joined");
    expect(rejoined.map((e) => e.participant).sort()).toEqual(["ada", "bob", "cy"]);
    for (const event of rejoined) expect(event.participantID).not.toBe(oldSids[event.participant!]);

    // The ghost's record outlives its node: the room on livekit lists it under its old sid, no event will
    // ever say it left, and LiveKit cannot remove it (it is in no live room). Only our side can close it out.
    const listed = await clients.get(nodeId(standby))!.listParticipants(room);
    expect(listed.find((p) => p.identity === "ghost")?.sid).toBe(oldSids.ghost);
    // Removing it is routed to the node that held it, which is gone: the request hangs until our timeout.
    const removal = await impatient.removeParticipant(room, "ghost" as ParticipantIdentity).then(
      () => "removed",
      (error: unknown) => (error instanceof MediaFleetError ? error.code : String(error)),
    );
    expect(removal).not.toBe("removed");
    const stillListed = (await clients.get(nodeId(standby))!.listParticipants(room)).map((p) => p.identity as string);
    expect(stillListed).toContain("ghost");
    console.info(`[failover] LiveKit after the failover: same sid ${originalSid}; ghost still listed; removing it: ${removal}`);
  });

  it("livekit-b restarts into the cluster: listed SERVING under a new node id, its dead entry gone", async () => {
    const back = await restartPrimary();
    const listed = await clusterNodes();
    expect(listed.map((node) => node.id)).not.toContain(killed!.livekitId);
    expect(listed.filter((node) => node.state === "SERVING").map((node) => node.region).sort()).toEqual([standby.region, primary.region]);
    console.info(`[failover] ${primary.service} is back as ${back.id}`);
    // And our tracker sees it: probes succeed again, so after two in a row it is healthy.
    await until(() => (tracker.health(nodeId(primary), performance.now()).state === "healthy" ? true : undefined), 3_000, "livekit-b healthy again");
  }, 30_000);
});

describe("probing a LiveKit node", () => {
  /** A loopback port nothing listens on. */
  async function closedPort(): Promise<number> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    return port;
  }

  it("a serving node answers healthy; a node that is down, or refuses our key, does not", async () => {
    const rooms = new RoomServiceClient(standby.url, secrets.livekitApiKey, secrets.livekitApiSecret, { failover: false });
    const serving = await probeNode(standby.url, { rooms });
    expect(serving).toMatchObject({ healthy: true });
    expect(serving.error).toBeUndefined();
    expect(await probeNode(`http://${host}:${await closedPort()}`)).toMatchObject({ healthy: false, error: "unreachable (ECONNREFUSED)" });
    const impostor = new RoomServiceClient(standby.url, secrets.livekitApiKey, crypto.randomBytes(32).toString("base64url"), { failover: false });
    expect(await probeNode(standby.url, { rooms: impostor })).toMatchObject({ healthy: false, error: "room service: unauthorized" });
  });
});
