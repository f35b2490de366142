import { dispose } from "@livekit/rtc-node";
import { afterAll, describe, expect, it } from "vitest";
import { runningPid } from "../../scripts/lib/daemon.ts";
import { loadOrCreateSecrets } from "../../scripts/lib/local-config.ts";
import { livekitBUrl, livekitService, livekitUrl } from "../../scripts/services/livekit.ts";
import type { ServerFrame } from "../../protocol/server-frames.ts";
import { LiveKitBot } from "../support/livekit-bot.ts";
import { RoomClient } from "../support/room-client.ts";
import { createMeeting, mintToken, newTenant } from "../support/stack.ts";

// The Worker's local fleet is both LiveKit nodes (scripts/lib/local-config.ts): meetings go to node A (7880).
// Here node A is killed under a meeting on the SFU; the meeting room, told by a participant that its media
// connection is failing, must move everyone to node B. Runs after every other suite: node A is theirs too.
type SfuJoin = Extract<ServerFrame, { type: "sfu_join" }>;
const participants = 5;
const ws = (url: string) => url.replace(/^http/, "ws");
const bots = new Set<LiveKitBot>();
let killed = false;

afterAll(async () => {
  await Promise.all([...bots].map((bot) => bot.disconnect().catch(() => {})));
  await dispose();
  if (killed) await livekitService.up(await loadOrCreateSecrets());
}, 60_000);

/** Connects with the credentials, retrying while the cluster still routes the room to the dead node. */
async function connectWithin(join: SfuJoin, ms: number): Promise<LiveKitBot> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      const bot = await LiveKitBot.connect(join.url, join.token, { timeoutMs: 3000 });
      bots.add(bot);
      return bot;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

const receivingAll = (group: Array<{ who: string; bot: LiveKitBot }>, since: Map<LiveKitBot, Map<string, number>>) =>
  group.every(({ bot }) => group.every(({ who }) => bot === group.find((g) => g.who === who)!.bot || bot.from(who).videoFrames > (since.get(bot)?.get(who) ?? 0) + 5));

describe("media failover through the meeting room", () => {
  it("kill -9 of the meeting's SFU node: the room moves everyone to the other node and media flows again", async () => {
    const { apiKey } = await newTenant("media-failover");
    const meeting = await createMeeting(apiKey, { title: "Failover" });
    const clients: RoomClient[] = [];
    for (let i = 0; i < participants; i++) {
      const { connectUrl } = await mintToken(apiKey, meeting.id, { identity: `p${i}`, role: i ? "participant" : "host" });
      clients.push(await RoomClient.join(connectUrl));
    }
    const firstJoins = await Promise.all(clients.map((c) => c.next<SfuJoin>((f) => f.type === "sfu_join", 15_000)));
    expect(new Set(firstJoins.map((j) => j.url))).toEqual(new Set([ws(livekitUrl)]));

    // Three participants on the SFU with video (the other two stay on the WebSocket only: CPU).
    const onSfu = [2, 3, 4];
    let group = await Promise.all(onSfu.map(async (i) => ({ who: `p${i}`, bot: await connectWithin(firstJoins[i]!, 10_000) })));
    await Promise.all(group.map(({ bot }) => bot.publishVideo({ width: 160, height: 120, fps: 15 })));
    const none = new Map<LiveKitBot, Map<string, number>>();
    for (const deadline = Date.now() + 15_000; !receivingAll(group, none) && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 100));
    expect(receivingAll(group, none)).toBe(true);

    const pid = runningPid("livekit");
    expect(pid).toBeDefined();
    const killedAt = performance.now();
    process.kill(pid!, "SIGKILL");
    killed = true;
    // What the page does when LiveKit reports SignalReconnecting: tell the room.
    clients[2]!.send({ type: "media_trouble" });

    const moved = await Promise.all(
      clients.map((c, i) => c.next<SfuJoin>((f) => f.type === "sfu_join" && f.url === ws(livekitBUrl), 20_000, c.frames.indexOf(firstJoins[i]!) + 1)),
    );
    const credentialsAt = performance.now();
    for (const { bot } of group) {
      bots.delete(bot);
      void bot.disconnect().catch(() => {});
    }
    group = await Promise.all(onSfu.map(async (i) => ({ who: `p${i}`, bot: await connectWithin(moved[i]!, 15_000) })));
    await Promise.all(group.map(({ bot }) => bot.publishVideo({ width: 160, height: 120, fps: 15 })));
    for (const deadline = Date.now() + 15_000; !receivingAll(group, none) && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 100));
    expect(receivingAll(group, none)).toBe(true);
    const recoveredAt = performance.now();
    console.log(
      `[media-failover] kill -9 → new sfu_join to all: ${Math.round(credentialsAt - killedAt)} ms; → every bot receiving every other's video on node B: ${Math.round(recoveredAt - killedAt)} ms`,
    );

    // Chat and roster never moved: they live in the room.
    const host = clients[0]!;
    host.send({ type: "chat_send", clientMessageId: "after-failover", body: "still here", attachments: [] });
    await clients[4]!.next((f) => f.type === "chat_message" && f.message.clientMessageId === "after-failover");
    expect(clients.every((c) => c.ofType("participant_left").length === 0)).toBe(true);
    for (const client of clients) client.close();
  }, 120_000);
});
