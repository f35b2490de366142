import { dispose } from "@livekit/rtc-node";
import { and, eq } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { roomServiceTransport } from "../../media-fleet/livekit/livekit-node-client.ts";
import { probeNode } from "../../media-fleet/livekit/node-health.ts";
import { meetingMediaRoom } from "../../media-fleet/meeting-media-room.ts";
import type { ServerFrame } from "../../protocol/server-frames.ts";
import { meetings } from "../../schema/index.ts";
import { isAlive, runningPid, sleep } from "../../scripts/lib/daemon.ts";
import { loadOrCreateSecrets } from "../../scripts/lib/local-config.ts";
import { livekitBService, livekitNodes, livekitService, type LocalLivekitNode } from "../../scripts/services/livekit.ts";
import { LiveKitBot } from "../support/livekit-bot.ts";
import { RoomClient } from "../support/room-client.ts";
import { api, createMeeting, mintToken, newTenant, withDatabase } from "../support/stack.ts";
import { participantRowsOf, usageRowsWhen } from "../usage/usage-facts.ts";

// "A crashed LiveKit node's meeting is billed to the second it ended": five people in a meeting on the SFU through
// the real Worker and room, two of them with media on the node; the node is killed (-9), so LiveKit will never
// report their leaving, and the meeting is ended. Their SFU sessions must be billed from the join LiveKit itself
// recorded (read from the node's own participant list before the kill) to the room's end, to the millisecond.

type SfuJoin = Extract<ServerFrame, { type: "sfu_join" }>;
const ws = (url: string) => url.replace(/^http/, "ws");
const serviceOf = (node: LocalLivekitNode) => (node.service === livekitService.name ? livekitService : livekitBService);
const bots: LiveKitBot[] = [];
const sockets: RoomClient[] = [];
let killed: { node: LocalLivekitNode; pid: number } | undefined;

afterAll(async () => {
  await Promise.all(bots.map((bot) => bot.disconnect().catch(() => {})));
  for (const socket of sockets) socket.close();
  await dispose();
  if (killed) {
    const { node, pid } = killed;
    for (const deadline = Date.now() + 5_000; isAlive(pid) && Date.now() < deadline; ) await sleep(50);
    await serviceOf(node).up(await loadOrCreateSecrets());
    for (const deadline = Date.now() + 30_000; !(await probeNode(node.url)).healthy && Date.now() < deadline; ) await sleep(200);
  }
}, 90_000);

describe("usage when the meeting's LiveKit node crashes", () => {
  it("bills each SFU session from LiveKit's own join time to the second the meeting ended", async () => {
    const secrets = await loadOrCreateSecrets();
    const { apiKey, tenantId } = await newTenant("usage-node-crash");
    const meeting = await createMeeting(apiKey, { title: "Crash" });
    for (let i = 0; i < 5; i++) {
      const { connectUrl } = await mintToken(apiKey, meeting.id, { identity: `p${i}`, role: i ? "participant" : "host" });
      sockets.push(await RoomClient.join(connectUrl));
    }
    const joins = await Promise.all(sockets.map((c) => c.next<SfuJoin>((f) => f.type === "sfu_join", 15_000)));
    const home = livekitNodes.find((node) => ws(node.url) === joins[0]!.url)!;
    expect(home).toBeDefined();
    for (const i of [1, 2]) {
      const bot = await LiveKitBot.connect(joins[i]!.url, joins[i]!.token, { subscribe: false });
      bots.push(bot);
      await bot.publishAudio();
    }
    // The room learned both sessions from the node's webhooks.
    await sockets[0]!.next((f) => f.type === "media_state" && "p1" in f.onSfu && "p2" in f.onSfu, 15_000);

    // The raw facts, from the SFU's own participant list.
    const room = meetingMediaRoom(tenantId, meeting.id);
    const listed = await roomServiceTransport({
      url: home.url,
      apiKey: secrets.livekitApiKey,
      apiSecret: secrets.livekitApiSecret,
    }).listParticipants(room);
    const joinedAt = new Map(listed.map((p) => [p.identity, { sid: p.sid, ms: Number(p.joinedAt) * 1000 }]));
    expect([...joinedAt.keys()].sort()).toEqual(["p1", "p2"]);
    const roomSid = (
      await roomServiceTransport({ url: home.url, apiKey: secrets.livekitApiKey, apiSecret: secrets.livekitApiSecret }).listRooms([room])
    )[0]!.sid;

    const pid = runningPid(home.service)!;
    process.kill(pid, "SIGKILL");
    killed = { node: home, pid };
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
      const fact = joinedAt.get(identity)!;
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
    expect(switchedAt).toBeLessThan(Math.min(...[...joinedAt.values()].map((f) => f.ms)) + 1_000);
  }, 120_000);
});
