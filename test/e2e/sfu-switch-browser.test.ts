import { dispose } from "@livekit/rtc-node";
import { RoomServiceClient, TrackSource, TrackType, type TrackInfo } from "livekit-server-sdk";
import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { meetingMediaRoom } from "../../media-fleet/meeting-media-room.ts";
import { loadOrCreateSecrets } from "../../scripts/lib/local-config.ts";
import { livekitUrl } from "../../scripts/services/livekit.ts";
import type { ServerFrame } from "../../protocol/server-frames.ts";
import { LiveKitBot } from "../support/livekit-bot.ts";
import { RoomClient } from "../support/room-client.ts";
import { api, mintToken, newTenant, workerUrl } from "../support/stack.ts";
import { launchChromium, MeetingPage, type MediaStats, type SfuInbound } from "./browser.ts";

// Two tabs of the real meeting page start a P2P call; three cheap participants (protocol clients that take
// their SFU credentials to LiveKit bots) join, the fifth moves the meeting onto the SFU, and the pages must
// follow: mesh down, LiveKit up, camera published with simulcast, everyone's video arriving there.

const stepMs = 12_000;
const testTimeout = 90_000;
/** Counters must keep rising over this window: media is flowing now, not only during setup. */
const windowMs = 2_000;
// Floors well under what flows, so a loaded 2-core machine passes while a dead stream cannot. Measured per 2 s:
// tab to tab ~45 kB of video (the SFU forwards the 240p layer to a small tile) and ~19 kB of audio; the bot's
// grey 160x120 picture with one moving band compresses to ~1.3 kB, so its frames are what counts.
const floor = { tabVideoBytes: 5_000, tabAudioBytes: 1_000, botVideoBytes: 200, frames: 5 };
type SfuJoin = Extract<ServerFrame, { type: "sfu_join" }>;

let browser: Browser;
let context: BrowserContext | undefined;
let rooms: RoomServiceClient;
let tenant: Awaited<ReturnType<typeof newTenant>>;
let meetingId: string | undefined;
const pages: MeetingPage[] = [];
const clients: RoomClient[] = [];
const bots: LiveKitBot[] = [];

beforeAll(async () => {
  const secrets = await loadOrCreateSecrets();
  rooms = new RoomServiceClient(livekitUrl, secrets.livekitApiKey, secrets.livekitApiSecret);
  [browser, tenant] = await Promise.all([launchChromium(), newTenant("sfu-switch-browser")]);
});

afterAll(async () => {
  await Promise.allSettled(pages.map((page) => page.leave(5_000)));
  await context?.close();
  await browser?.close();
  for (const bot of bots) await bot.disconnect().catch(() => undefined);
  for (const client of clients) client.close();
  // Ending the meeting closes its LiveKit room too, so nothing lingers on the node for the next suite.
  if (meetingId) await api(`/v1/meetings/${meetingId}/end`, { method: "POST", key: tenant.apiKey }).catch(() => undefined);
  await dispose();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const nothing: SfuInbound = {
  audio: { bytesReceived: 0, packetsReceived: 0 },
  video: { bytesReceived: 0, framesReceived: 0, framesDecoded: 0, frameWidth: 0, frameHeight: 0 },
};
const from = (inbound: Record<string, SfuInbound> | undefined, identity: string) => inbound?.[identity] ?? nothing;

/** Polls `read` until `done` holds; fails with the last value after `timeoutMs`. */
async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = stepMs): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(value)}`);
    await sleep(250);
  }
}

/** The layers LiveKit holds for a published camera: per codec in current servers, on the track in older ones. */
function layersOf(track: TrackInfo): { quality: number; width: number; height: number; bitrate: number }[] {
  const layers = track.codecs.find((codec) => codec.layers.length > 0)?.layers ?? track.layers;
  return layers.map(({ quality, width, height, bitrate }) => ({ quality, width, height, bitrate }));
}

describe("meeting page: peer to peer → SFU at the fifth participant", () => {
  it("both tabs move to the SFU, publish simulcast, and receive each other and a bot there", { timeout: testTimeout }, async ({
    annotate,
  }) => {
    // 1. Two tabs in a P2P call.
    context = await browser.newContext();
    const [host, guest] = [new MeetingPage(await context.newPage()), new MeetingPage(await context.newPage())];
    pages.push(host, guest);
    const link = await host.host(`${workerUrl}/`, tenant.apiKey, "Ada Host", stepMs);
    meetingId = new URL(link).hash.replace("#meeting=", "");
    await guest.join(link, "Bob Guest", stepMs);
    const [hostId, guestId] = [(await host.state()).identity!, (await guest.state()).identity!];
    await Promise.all([host.waitForPeer(guestId, stepMs), guest.waitForPeer(hostId, stepMs)]);
    expect([(await host.state()).mediaMode, (await guest.state()).mediaMode]).toEqual(["p2p", "p2p"]);
    const p2pFrames = async (): Promise<[MediaStats, MediaStats]> => Promise.all([host.mediaFrom(guestId), guest.mediaFrom(hostId)]);
    await until("P2P video both ways", p2pFrames, ([a, b]) => Math.min(a.video.framesDecoded, b.video.framesDecoded) > 0);
    const p2pBefore = await p2pFrames();
    await sleep(windowMs);
    const p2pAfter = await p2pFrames();
    for (const i of [0, 1] as const) {
      expect(p2pAfter[i].video.bytesReceived - p2pBefore[i].video.bytesReceived, `P2P video bytes into tab ${i}`).toBeGreaterThan(
        floor.tabVideoBytes,
      );
      expect(p2pAfter[i].video.framesDecoded - p2pBefore[i].video.framesDecoded, `P2P frames into tab ${i}`).toBeGreaterThanOrEqual(
        floor.frames,
      );
    }

    // 2. Three more participants; the fifth triggers the switch. Each takes its credentials to a LiveKit bot:
    // one publishes a small camera and a microphone, the others a microphone only (the machine has two cores).
    const botIds = ["bot-cam", "bot-mic-1", "bot-mic-2"];
    const connectUrls = [];
    for (const identity of botIds) {
      connectUrls.push((await mintToken(tenant.apiKey, meetingId, { identity, name: identity, role: "participant" })).connectUrl);
    }
    clients.push(await RoomClient.join(connectUrls[0]!), await RoomClient.join(connectUrls[1]!));
    const fifthJoinAt = performance.now();
    clients.push(await RoomClient.join(connectUrls[2]!));

    // 3. The tabs follow on their own: watched from now on, while the bots are still connecting.
    const sfuMedia = () => Promise.all([host.sfuInbound(), guest.sfuInbound()]);
    const decoding = ([toHost, toGuest]: Record<string, SfuInbound>[], hostFrom: string, guestFrom: string) =>
      Math.min(from(toHost, hostFrom).video.framesDecoded, from(toGuest, guestFrom).video.framesDecoded) > 0;
    let tabsAt: number | undefined;
    const allArriving = until(
      "both tabs decoding the other tab's and the bot's video over the SFU",
      sfuMedia,
      (inbound) => {
        const tabs = decoding(inbound, guestId, hostId);
        if (tabs) tabsAt ??= performance.now();
        return tabs && decoding(inbound, botIds[0]!, botIds[0]!);
      },
      25_000,
    ).then(() => performance.now());
    allArriving.catch(() => undefined); // awaited below; a failure of the bots' setup must not leave it unhandled

    const joins = await Promise.all(clients.map((client) => client.next<SfuJoin>((frame) => frame.type === "sfu_join", stepMs)));
    const credentialsAt = performance.now();
    bots.push(...(await Promise.all(joins.map((join) => LiveKitBot.connect(join.url, join.token, { timeoutMs: stepMs })))));
    const [camBot] = bots as [LiveKitBot, ...LiveKitBot[]];
    await Promise.all([camBot.publishVideo({ width: 160, height: 120, fps: 15 }), ...bots.map((bot) => bot.publishAudio())]);
    const allAt = await allArriving.catch(async (error: unknown) => {
      throw new Error(`SFU media did not reach both tabs:\nhost ${await host.diagnosis()}\nguest ${await guest.diagnosis()}`, {
        cause: error,
      });
    });
    for (const page of [host, guest]) {
      const state = await page.state();
      expect([state.mediaMode, state.sfu.status]).toEqual(["sfu", "connected"]);
      expect(await page.peerConnectionCount(), "P2P connections left open").toBe(0);
    }
    const [before, after] = [await sfuMedia(), await sleep(windowMs).then(sfuMedia)];
    const grew: string[] = [];
    for (const [side, index, other] of [
      ["host", 0, guestId],
      ["guest", 1, hostId],
    ] as const) {
      for (const source of [other, camBot.identity]) {
        const [was, now] = [from(before[index], source), from(after[index], source)];
        const [videoBytes, frames] = [now.video.bytesReceived - was.video.bytesReceived, now.video.framesDecoded - was.video.framesDecoded];
        expect(videoBytes, `${side}: SFU video bytes from ${source} in ${windowMs} ms`).toBeGreaterThan(
          source === other ? floor.tabVideoBytes : floor.botVideoBytes,
        );
        expect(frames, `${side}: frames from ${source} in ${windowMs} ms`).toBeGreaterThanOrEqual(floor.frames);
        const audioBytes = now.audio.bytesReceived - was.audio.bytesReceived;
        if (source === other)
          expect(audioBytes, `${side}: SFU audio bytes from the other tab in ${windowMs} ms`).toBeGreaterThan(floor.tabAudioBytes);
        grew.push(
          `${side} ← ${source}: video +${videoBytes} B, +${frames} frames at ${now.video.frameWidth}x${now.video.frameHeight}; audio +${audioBytes} B`,
        );
      }
    }

    // 4. Every bot receives both tabs' video through the SFU.
    for (const bot of bots) {
      await bot.waitUntil(() => bot.from(hostId).videoFrames > 10 && bot.from(guestId).videoFrames > 10, stepMs, "video from both tabs");
    }

    // 5. Each tab's camera is published with simulcast: at least two layers, as the ladder allows a 640x360 source.
    const mediaRoom = meetingMediaRoom(tenant.tenantId, meetingId);
    const published: string[] = [];
    for (const identity of [hostId, guestId]) {
      const participant = await rooms.getParticipant(mediaRoom, identity);
      const camera = participant.tracks.find((track) => track.type === TrackType.VIDEO && track.source === TrackSource.CAMERA);
      expect(camera, `${identity}'s camera on the SFU`).toBeDefined();
      const layers = layersOf(camera!);
      published.push(
        `${identity} ${camera!.width}x${camera!.height} simulcast=${camera!.simulcast}: ${layers.map((l) => `q${l.quality} ${l.width}x${l.height} ${Math.round(l.bitrate / 1000)} kbps`).join(", ")}`,
      );
      expect(layers.length, `${identity}'s simulcast layers`).toBeGreaterThanOrEqual(2);
      expect(layers.map((l) => l.height).sort((a, b) => a - b)[0], "lowest layer is the 240p rung").toBe(240);
    }

    expect([...host.pageErrors, ...guest.pageErrors]).toEqual([]);
    const since = (at: number | undefined) => (at === undefined ? "?" : `${Math.round(at - fifthJoinAt)} ms`);
    const report = [
      `5th join → sfu_join at the bots: ${since(credentialsAt)}; → both tabs decoding each other's video over the SFU: ${since(tabsAt)}; → and the bot's: ${since(allAt)}`,
      ...grew,
      ...published,
    ].join("\n");
    console.log(`[sfu-switch-browser]\n${report}`);
    await annotate(report);
  });
});
