import { dispose } from "@livekit/rtc-node";
import { afterAll, describe, expect, it } from "vitest";
import { probeNode } from "../../media-fleet/livekit/node-health.ts";
import type { ServerFrame } from "../../protocol/server-frames.ts";
import { isAlive, runningPid, sleep } from "../../scripts/lib/daemon.ts";
import { loadOrCreateSecrets } from "../../scripts/lib/local-config.ts";
import { livekitBService, livekitNodes, livekitService, type LocalLivekitNode } from "../../scripts/services/livekit.ts";
import { LiveKitBot } from "../support/livekit-bot.ts";
import { RoomClient } from "../support/room-client.ts";
import { createMeeting, mintToken, newTenant } from "../support/stack.ts";

// The product's failover path end to end: five people in a meeting through the real Worker and meeting room, three
// of them with video on the SFU; the meeting's LiveKit node is killed (-9). The room must notice (its own probes,
// its clients' media_trouble reports, under node-failure-detector.ts's rule) and move everyone to the other node.
// The test decides nothing: it plays the pages (web/src/sfu-link.ts), which report trouble when LiveKit does and
// follow every sfu_join. Runs with the disruptive tests, after every other suite: the nodes are theirs too.

type SfuJoin = Extract<ServerFrame, { type: "sfu_join" }>;
const participants = 5;
const withMedia = [2, 3, 4];
const video = { width: 160, height: 120, fps: 15 };
const ws = (url: string) => url.replace(/^http/, "ws");
const serviceOf = (node: LocalLivekitNode) => (node.service === livekitService.name ? livekitService : livekitBService);

const bots = new Set<LiveKitBot>();
const sockets: RoomClient[] = [];
const killed = new Map<LocalLivekitNode, number>();

/** Brings a killed node back (whatever failed) and waits until it serves, so later suites find the stack whole. */
async function restore(node: LocalLivekitNode): Promise<void> {
  const pid = killed.get(node)!;
  await until(() => !isAlive(pid), 5_000, "the killed process to be reaped");
  await serviceOf(node).up(await loadOrCreateSecrets());
  await until(async () => (await probeNode(node.url)).healthy, 30_000, `${node.service} serving again`);
  killed.delete(node);
}

afterAll(async () => {
  await Promise.all([...bots].map((bot) => bot.disconnect().catch(() => {})));
  for (const socket of sockets) socket.close();
  await dispose();
  for (const node of [...killed.keys()]) await restore(node);
}, 90_000);

async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** One participant's page as far as the SFU goes: it follows each sfu_join and, if it does, reports trouble. */
class Page {
  bot: LiveKitBot | undefined;
  troubleAt: number | undefined;
  constructor(
    readonly who: string,
    readonly socket: RoomClient,
    private readonly reportsTrouble: boolean,
  ) {}

  /** Leaves the node it is on and joins the one in `join`, retrying briefly like the page; publishes video. */
  async follow(join: SfuJoin): Promise<void> {
    const old = this.bot;
    this.bot = undefined;
    if (old) {
      bots.delete(old);
      void old.disconnect().catch(() => {});
    }
    const deadline = performance.now() + 15_000;
    for (;;) {
      try {
        this.bot = await LiveKitBot.connect(join.url, join.token, { timeoutMs: 3_000 });
        break;
      } catch (error) {
        if (performance.now() > deadline) throw error;
        await sleep(200);
      }
    }
    bots.add(this.bot);
    if (this.reportsTrouble) {
      this.bot.onConnectionTrouble(() => {
        // Once per spell, as the page does.
        if (this.troubleAt !== undefined) return;
        this.troubleAt = performance.now();
        this.socket.send({ type: "media_trouble" });
      });
    }
    await this.bot.publishVideo(video);
  }
}

/** Every page with media receives video from every other (more than a few frames on its current connection). */
const allReceiving = (pages: Page[]) =>
  pages.every((page) => pages.every((other) => other === page || (page.bot?.from(other.who).videoFrames ?? 0) > 5));

async function meetingOnTheSfu(reportsTrouble: boolean) {
  const { apiKey } = await newTenant("media-failover");
  const meeting = await createMeeting(apiKey, { title: "Failover" });
  const clients: RoomClient[] = [];
  for (let i = 0; i < participants; i++) {
    const { connectUrl } = await mintToken(apiKey, meeting.id, { identity: `p${i}`, role: i ? "participant" : "host" });
    clients.push(await RoomClient.join(connectUrl));
  }
  sockets.push(...clients);
  const firstJoins = await Promise.all(clients.map((c) => c.next<SfuJoin>((f) => f.type === "sfu_join", 15_000)));
  const home = livekitNodes.find((node) => ws(node.url) === firstJoins[0]!.url)!;
  expect(home, `the meeting's node (${firstJoins[0]!.url}) is one of the local nodes`).toBeDefined();
  expect(new Set(firstJoins.map((j) => j.url))).toEqual(new Set([ws(home.url)]));
  const pages = withMedia.map((i) => new Page(`p${i}`, clients[i]!, reportsTrouble));
  await Promise.all(pages.map((page, n) => page.follow(firstJoins[withMedia[n]!]!)));
  await until(() => allReceiving(pages), 15_000, "everyone's video on the first node");
  return { clients, firstJoins, home, other: livekitNodes.find((node) => node !== home)!, pages };
}

async function killAndRecover(reportsTrouble: boolean) {
  const { clients, firstJoins, home, other, pages } = await meetingOnTheSfu(reportsTrouble);
  expect((await probeNode(other.url)).healthy, `${other.service} must serve for the meeting to move there`).toBe(true);

  const pid = runningPid(home.service);
  expect(pid, `${home.service} pid file`).toBeDefined();
  const killedAt = performance.now();
  process.kill(pid!, "SIGKILL");
  killed.set(home, pid!);

  // Each page follows its own new credentials the moment they arrive, as the page does.
  const credentialsAt = await Promise.all(
    clients.map(async (client, i) => {
      const after = client.frames.indexOf(firstJoins[i]!) + 1;
      const join = await client.next<SfuJoin>((f) => f.type === "sfu_join" && f.url === ws(other.url), 30_000, after);
      const at = performance.now();
      await pages.find((page) => page.socket === client)?.follow(join);
      return at;
    }),
  );
  await until(() => allReceiving(pages), 20_000, `everyone's video on ${other.service}`);
  const recoveredAt = performance.now();

  const since = (at: number) => Math.round(at - killedAt);
  const reports = pages.map((p) => p.troubleAt).filter((at): at is number => at !== undefined);
  console.log(
    `[media-failover] ${reportsTrouble ? "clients report trouble" : "no client reports (the room's probes alone)"}: ` +
      `kill -9 ${home.service} → first media_trouble ${reports.length ? `${since(Math.min(...reports))} ms` : "none"}; ` +
      `→ new sfu_join to all ${participants}: ${since(Math.max(...credentialsAt))} ms; ` +
      `→ every bot receiving every other's video on ${other.service}: ${since(recoveredAt)} ms`,
  );

  // The room learns who is on the new node from its webhooks: the same three, nobody from the dead node.
  const lastJoin = Math.max(...clients.map((c) => c.frames.findLastIndex((f) => f.type === "sfu_join")));
  await clients[0]!.next(
    (f) =>
      f.type === "media_state" &&
      f.sfuActive &&
      withMedia.every((i) => `p${i}` in f.onSfu) &&
      Object.keys(f.onSfu).length === withMedia.length,
    10_000,
    lastJoin,
  );
  // Chat and roster never moved: they live in the room.
  clients[0]!.send({ type: "chat_send", clientMessageId: "after-failover", body: "still here", attachments: [] });
  await clients[4]!.next((f) => f.type === "chat_message" && f.message.clientMessageId === "after-failover");
  expect(clients.every((c) => c.ofType("participant_left").length === 0)).toBe(true);

  for (const page of pages) {
    bots.delete(page.bot!);
    await page.bot!.disconnect();
  }
  for (const client of clients) client.close();
  await restore(home);
  return recoveredAt - killedAt;
}

describe("media failover through the meeting room", () => {
  it("kill -9 of the meeting's node while its clients report trouble: the room moves everyone within seconds", async () => {
    expect(await killAndRecover(true)).toBeLessThan(15_000);
  }, 120_000);

  it("kill -9 of the meeting's node with no client reporting: the room's own probes move everyone", async () => {
    expect(await killAndRecover(false)).toBeLessThan(20_000);
  }, 120_000);
});
