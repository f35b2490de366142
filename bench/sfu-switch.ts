import { dispose } from "@livekit/rtc-node";
import { AccessToken } from "livekit-server-sdk";
import { provisionTenant } from "../scripts/lib/dev-tenant.ts";
import { databaseUrl, loadOrCreateSecrets } from "../scripts/lib/local-config.ts";
import { livekitUrl } from "../scripts/services/livekit.ts";
import { workerUrl } from "../scripts/services/worker.ts";
import { LiveKitBot } from "../test/support/livekit-bot.ts";
import { RoomClient } from "../test/support/room-client.ts";
import type { ServerFrame } from "../protocol/server-frames.ts";
import { summarize } from "./latency-stats.ts";

/**
 * Time from the fifth join to everyone receiving everyone's audio and video over the SFU. Ours: five
 * participants in a meeting room; the fifth hello triggers placement, credentials go out as `sfu_join`, each
 * participant (an rtc-node bot) connects, publishes and subscribes. Baseline, same process and bots: the same
 * five connect straight to LiveKit with tokens minted up front, so the ratio shows what the switch adds.
 */
const participants = 5;
const rounds = 3;
const video = { width: 160, height: 120, fps: 10 };
type SfuJoin = Extract<ServerFrame, { type: "sfu_join" }>;

async function postJson<T>(path: string, apiKey: string, body: unknown): Promise<T> {
  const response = await fetch(`${workerUrl}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`POST ${path} answered ${response.status}`);
  return (await response.json()) as T;
}

/** Connects every credential's bot, publishes, and resolves once each receives video and audio from all others. */
async function everyoneReceiving(credentials: Array<{ identity: string; url: string; token: string }>): Promise<LiveKitBot[]> {
  const bots = await Promise.all(credentials.map((c) => LiveKitBot.connect(c.url, c.token)));
  await Promise.all(bots.map(async (bot) => Promise.all([bot.publishAudio(), bot.publishVideo(video)])));
  await Promise.all(
    bots.map((bot, i) =>
      bot.waitUntil(
        () =>
          credentials.every(
            (other, j) => i === j || (bot.from(other.identity).videoFrames > 0 && bot.from(other.identity).audioFrames > 0),
          ),
        30_000,
        `${credentials[i]!.identity} receiving everyone`,
      ),
    ),
  );
  return bots;
}

async function ourSwitch(apiKey: string): Promise<number> {
  const meeting = await postJson<{ id: string }>("/v1/meetings", apiKey, { title: "bench sfu switch" });
  const urls: string[] = [];
  for (let i = 0; i < participants; i++)
    urls.push(
      (
        await postJson<{ connectUrl: string }>(`/v1/meetings/${meeting.id}/tokens`, apiKey, {
          identity: `p${i}`,
          role: i ? "participant" : "host",
        })
      ).connectUrl,
    );
  const clients: RoomClient[] = [];
  for (const url of urls.slice(0, -1)) clients.push(await RoomClient.join(url));
  const started = performance.now();
  clients.push(await RoomClient.join(urls.at(-1)!));
  const joins = await Promise.all(clients.map((c) => c.next<SfuJoin>((f) => f.type === "sfu_join", 15_000)));
  const bots = await everyoneReceiving(joins.map((j, i) => ({ identity: `p${i}`, url: j.url, token: j.token })));
  const elapsed = performance.now() - started;
  await Promise.all(bots.map((b) => b.disconnect()));
  for (const c of clients) c.close();
  await postJson(`/v1/meetings/${meeting.id}/end`, apiKey, {});
  return elapsed;
}

async function directToLiveKit(apiKey: string, apiSecret: string, round: number): Promise<number> {
  const room = `bench-direct-${Date.now()}-${round}`;
  const credentials = await Promise.all(
    Array.from({ length: participants }, async (_, i) => {
      const at = new AccessToken(apiKey, apiSecret, { identity: `p${i}`, ttl: 600 });
      at.addGrant({ roomJoin: true, room, canPublish: true, canSubscribe: true });
      return { identity: `p${i}`, url: livekitUrl, token: await at.toJwt() };
    }),
  );
  const started = performance.now();
  const bots = await everyoneReceiving(credentials);
  const elapsed = performance.now() - started;
  await Promise.all(bots.map((b) => b.disconnect()));
  return elapsed;
}

export async function benchSfuSwitch(): Promise<void> {
  const secrets = await loadOrCreateSecrets();
  const tenant = await provisionTenant(databaseUrl(secrets), "bench sfu switch");
  const ours: number[] = [];
  const baseline: number[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      baseline.push(await directToLiveKit(secrets.livekitApiKey, secrets.livekitApiSecret, round));
      ours.push(await ourSwitch(tenant.apiKey));
    }
  } finally {
    await dispose();
  }
  const o = summarize(ours, 0);
  const b = summarize(baseline, 0);
  const ms = (v: number) => `${v.toFixed(0).padStart(6)} ms`;
  console.log(
    `\nPeer to peer → SFU: ${participants} participants (rtc-node bots, ${video.width}x${video.height}@${video.fps} + audio), ${rounds} rounds each`,
  );
  console.log(
    `baseline: bots join LiveKit directly with ready tokens   p50 ${ms(b.p50)}  max ${ms(Math.max(...baseline))}  (first connect → all receiving all)`,
  );
  console.log(`ours: 5th hello → placement → sfu_join → all receiving   p50 ${ms(o.p50)}  max ${ms(Math.max(...ours))}`);
  console.log(`ratio (ours / baseline): p50 ${(o.p50 / b.p50).toFixed(2)}x`);
}
