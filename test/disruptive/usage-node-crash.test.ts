import { dispose } from "@livekit/rtc-node";
import { and, eq } from "drizzle-orm";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { roomServiceTransport } from "../../media-fleet/livekit/livekit-node-client.ts";
import { probeNode } from "../../media-fleet/livekit/node-health.ts";
import { meetingMediaRoom } from "../../media-fleet/meeting-media-room.ts";
import type { ServerFrame } from "../../protocol/server-frames.ts";
import { meetings } from "../../schema/index.ts";
import { isAlive, runningPid, sleep } from "../../scripts/lib/daemon.ts";
import { loadOrCreateSecrets } from "../../scripts/lib/local-config.ts";
import { livekitBService, livekitNodes, livekitService, type LocalLivekitNode } from "../../scripts/services/livekit.ts";
import { LiveKitBot } from "../support/livekit-bot.ts";
import { poll } from "../support/poll.ts";
import { RoomClient } from "../support/room-client.ts";
import { api, createMeeting, mintToken, newTenant, withDatabase } from "../support/stack.ts";
import { participantRowsOf, usageRowsWhen } from "../usage/usage-facts.ts";

// "A crashed LiveKit node's meeting is billed to the second it ended": five people in a meeting on the SFU through
// the real Worker and room, two of them with media on the node; the node is killed (-9), so LiveKit never reports
// their leaving. Their sessions there are billed from the join LiveKit itself recorded (read from the node's own
// participant list before the kill) to the end the room saw: the meeting's end, or, when the room moves the
// meeting to the other node, the first trouble a client reported (the crash), not the moment the room concluded.

type SfuJoin = Extract<ServerFrame, { type: "sfu_join" }>;
const ws = (url: string) => url.replace(/^http/, "ws");
const serviceOf = (node: LocalLivekitNode) => (node.service === livekitService.name ? livekitService : livekitBService);
const bots = new Set<LiveKitBot>();
const sockets: RoomClient[] = [];
let killed: { node: LocalLivekitNode; pid: number } | undefined;

/** Brings a killed node back and waits until it serves, so the next test and later suites find the stack whole. */
async function restore(): Promise<void> {
  if (!killed) return;
  const { node, pid } = killed;
  for (const deadline = Date.now() + 5_000; isAlive(pid) && Date.now() < deadline; ) await sleep(50);
  await serviceOf(node).up(await loadOrCreateSecrets());
  for (const deadline = Date.now() + 30_000; !(await probeNode(node.url)).healthy && Date.now() < deadline; ) await sleep(200);
  // Serving is not yet placeable: its load reaches the cluster's Redis (what placement reads) a few seconds later.
  await sleep(5_000);
  killed = undefined;
}

afterEach(async () => {
  await Promise.all([...bots].map((bot) => bot.disconnect().catch(() => {})));
  bots.clear();
  for (const socket of sockets.splice(0)) socket.close();
  await restore();
}, 60_000);
afterAll(async () => {
  await dispose();
}, 30_000);

/** Five people in a meeting on the SFU, p1 and p2 with audio on the node; LiveKit's own view of their sessions. */
async function meetingOnTheSfu(label: string) {
  const secrets = await loadOrCreateSecrets();
  const { apiKey, tenantId } = await newTenant(label);
  const meeting = await createMeeting(apiKey, { title: label });
  const clients: RoomClient[] = [];
  for (let i = 0; i < 5; i++) {
    const { connectUrl } = await mintToken(apiKey, meeting.id, { identity: `p${i}`, role: i ? "participant" : "host" });
    clients.push(await RoomClient.join(connectUrl));
  }
  sockets.push(...clients);
  const joins = await Promise.all(clients.map((c) => c.next<SfuJoin>((f) => f.type === "sfu_join", 30_000)));
  const home = livekitNodes.find((node) => ws(node.url) === joins[0]!.url)!;
  expect(home).toBeDefined();
  const connected: LiveKitBot[] = [];
  for (const i of [1, 2]) {
    const bot = await LiveKitBot.connect(joins[i]!.url, joins[i]!.token, { subscribe: false });
    bots.add(bot);
    connected.push(bot);
    await bot.publishAudio();
  }
  // The room learned both sessions from the node's webhooks.
  await clients[0]!.next((f) => f.type === "media_state" && "p1" in f.onSfu && "p2" in f.onSfu, 15_000);
  const transport = roomServiceTransport({ url: home.url, apiKey: secrets.livekitApiKey, apiSecret: secrets.livekitApiSecret });
  const room = meetingMediaRoom(tenantId, meeting.id);
  const roomSid = (await transport.listRooms([room]))[0]!.sid;
  const sessions = new Map(
    (await transport.listParticipants(room)).map((p) => [p.identity, { sid: p.sid, ms: Number(p.joinedAt) * 1000 }]),
  );
  expect([...sessions.keys()].sort()).toEqual(["p1", "p2"]);
  return { apiKey, tenantId, meeting, clients, joins, home, bots: connected, roomSid, sessions };
}

function kill(node: LocalLivekitNode): number {
  const pid = runningPid(node.service)!;
  const at = Date.now();
  process.kill(pid, "SIGKILL");
  killed = { node, pid };
  return at;
}

describe("usage when the meeting's LiveKit node crashes", () => {
  it("ended right after the crash: each SFU session is billed from LiveKit's own join time to the millisecond the meeting ended", async () => {
    const { apiKey, tenantId, meeting, home, roomSid, sessions } = await meetingOnTheSfu("usage-node-crash");
    kill(home);
    await sleep(300);
    expect((await api(`/v1/meetings/${meeting.id}/end`, { key: apiKey, method: "POST" })).status).toBe(200);

    const rows = await usageRowsWhen(tenantId, meeting.id, (r) => r.filter((x) => x.kind === "sfu_participant_seconds").length === 2);
    const people = await participantRowsOf(tenantId, meeting.id);
    const [ended] = await withDatabase((db) =>
      db
        .select({ endedAt: meetings.endedAt })
        .from(meetings)
        .where(and(eq(meetings.tenantId, tenantId), eq(meetings.id, meeting.id))),
    );
    for (const identity of ["p1", "p2"]) {
      const fact = sessions.get(identity)!;
      const record = rows.find((r) => r.sourceId === `livekit:${roomSid}:${fact.sid}`);
      const left = people.find((p) => p.identity === identity)!;
      expect(left.leaveReason).toBe("ended");
      expect(record, `${identity}'s SFU session is billed`).toBeDefined();
      expect(record!.source).toBe("room");
      expect(record!.periodStart.getTime()).toBe(fact.ms);
      expect(record!.periodEnd.getTime()).toBe(left.leftAt!.getTime());
      expect(record!.quantity).toBe(left.leftAt!.getTime() - fact.ms);
      // The room's end and the API's ended_at are the same moment, give or take the call between them.
      expect(Math.abs(record!.periodEnd.getTime() - ended!.endedAt!.getTime())).toBeLessThan(1_000);
    }
    // Peer-to-peer time stopped when the meeting moved to the SFU: one stretch per person, none after.
    const p2p = rows.filter((r) => r.kind === "p2p_participant_seconds");
    expect(p2p).toHaveLength(5);
    const switchedAt = Math.max(...p2p.map((r) => r.periodEnd.getTime()));
    expect(p2p.every((r) => r.periodEnd.getTime() === switchedAt)).toBe(true);
    expect(switchedAt).toBeLessThan(Math.min(...[...sessions.values()].map((f) => f.ms)) + 1_000);
  }, 120_000);

  it("moved to the other node: the dead node's sessions end at the first trouble a client reported, the new ones at the end", async () => {
    const {
      apiKey,
      tenantId,
      meeting,
      clients,
      joins,
      home,
      bots: onHome,
      roomSid,
      sessions,
    } = await meetingOnTheSfu("usage-node-failover");
    const other = livekitNodes.find((node) => node !== home)!;
    const reports: number[] = [];
    for (const [n, bot] of onHome.entries()) {
      bot.onConnectionTrouble(() => {
        if (reports.length < 2) reports.push(Date.now());
        clients[n + 1]!.send({ type: "media_trouble" });
      });
    }
    const killedAt = kill(home);
    // Everyone is moved; p1 and p2 follow to the other node, as their pages would.
    const moved = await Promise.all(
      clients.map((c, i) =>
        c.next<SfuJoin>((f) => f.type === "sfu_join" && f.url === ws(other.url), 30_000, c.frames.indexOf(joins[i]!) + 1),
      ),
    );
    const movedAt = Date.now();
    for (const i of [1, 2]) bots.add(await LiveKitBot.connect(moved[i]!.url, moved[i]!.token, { subscribe: false }));
    await clients[0]!.next(
      (f) => f.type === "media_state" && "p1" in f.onSfu && "p2" in f.onSfu,
      15_000,
      clients[0]!.frames.indexOf(moved[0]!) + 1,
    );
    await sleep(1_500);
    expect((await api(`/v1/meetings/${meeting.id}/end`, { key: apiKey, method: "POST" })).status).toBe(200);

    // The node's leave webhooks can land before the room's outbox has written the leaves: wait for both.
    const people = await poll(
      () => participantRowsOf(tenantId, meeting.id),
      (p) => p.length === 5 && p.every((x) => x.leftAt !== null),
      15_000,
    );
    const rows = await usageRowsWhen(tenantId, meeting.id, (r) => r.filter((x) => x.kind === "sfu_participant_seconds").length >= 4);
    const endedAt = Math.max(...people.map((p) => p.leftAt!.getTime()));
    // The room may keep its sid on the new node (the cluster's Redis remembers it): the participant sids tell them apart.
    const deadKeys = new Set([...sessions.values()].map((f) => `livekit:${roomSid}:${f.sid}`));
    const dead = rows.filter((r) => deadKeys.has(r.sourceId));
    expect(dead).toHaveLength(2);
    const deadEnd = dead[0]!.periodEnd.getTime();
    expect(dead.every((r) => r.periodEnd.getTime() === deadEnd && r.source === "room")).toBe(true);
    for (const r of dead) expect(r.quantity).toBe(deadEnd - [...sessions.values()].find((f) => r.sourceId.endsWith(f.sid))!.ms);
    // After the crash and no later than the move; at the first report when a client's report came first.
    expect(deadEnd).toBeGreaterThanOrEqual(killedAt - 50);
    expect(deadEnd).toBeLessThanOrEqual(movedAt);
    const firstReport = Math.min(...reports);
    if (reports.length && firstReport < deadEnd + 1_000) expect(Math.abs(deadEnd - firstReport)).toBeLessThan(1_000);
    console.log(
      `[usage-node-crash] kill → dead-node sessions billed to +${deadEnd - killedAt} ms (first client report +${reports.length ? firstReport - killedAt : "none"} ms, everyone moved by +${movedAt - killedAt} ms)`,
    );
    // The new node's sessions: from their join there to the meeting's end (the room's, or the node's leave webhook).
    // A client that reconnects on the loaded machine starts a new LiveKit session, billed on its own: at least two.
    const fresh = rows.filter((r) => r.kind === "sfu_participant_seconds" && !deadKeys.has(r.sourceId));
    expect(fresh.length).toBeGreaterThanOrEqual(2);
    for (const r of fresh) {
      expect(r.periodStart.getTime()).toBeGreaterThanOrEqual(Math.floor(killedAt / 1000) * 1000);
      expect(r.quantity).toBe(r.periodEnd.getTime() - r.periodStart.getTime());
    }
    expect(fresh.filter((r) => Math.abs(r.periodEnd.getTime() - endedAt) < 1_500).length).toBeGreaterThanOrEqual(2);
  }, 150_000);
});
