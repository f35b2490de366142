import { dispose } from "@livekit/rtc-node";
import { afterAll, describe, expect, it } from "vitest";
import { sampleQuality } from "../../protocol/call-quality.ts";
import type { ServerFrame } from "../../protocol/server-frames.ts";
import { LiveKitBot } from "../support/livekit-bot.ts";
import { RoomClient } from "../support/room-client.ts";
import { api, createMeeting, mintToken, newTenant } from "../support/stack.ts";

// Participants on the SFU sample their call the way the page does (web/src/quality-sampler.ts over rtc-node's
// stats) and send the samples over their meeting socket; the room rates them and the roster follows.

const threshold = 5; // the Worker's SFU_SWITCH_THRESHOLD locally
const sampleEveryMs = 1000;
type SfuJoin = Extract<ServerFrame, { type: "sfu_join" }>;

/** A participant's connection quality as `client`'s roster has it now (welcome, then joins and updates). */
function rosterQuality(client: RoomClient, identity: string): string | undefined {
  let quality: string | undefined;
  for (const frame of client.frames) {
    if (frame.type === "welcome") quality = frame.roster.find((entry) => entry.identity === identity)?.connectionQuality;
    else if ((frame.type === "participant_joined" || frame.type === "participant_updated") && frame.participant.identity === identity) {
      quality = frame.participant.connectionQuality;
    }
  }
  return quality;
}

const clients: RoomClient[] = [];
const bots: LiveKitBot[] = [];
let ending: (() => Promise<unknown>) | undefined;

afterAll(async () => {
  for (const bot of bots) await bot.disconnect().catch(() => undefined);
  for (const client of clients) client.close();
  await ending?.().catch(() => undefined);
  await dispose();
});

describe("quality samples from participants on the SFU", () => {
  it("rtc-node bots send samples with LiveKit's quality and plausible figures; the room rates them into the roster", {
    timeout: 60_000,
  }, async ({ annotate }) => {
    const { apiKey } = await newTenant("sfu quality samples");
    const meeting = await createMeeting(apiKey, { title: "sampled on the SFU" });
    ending = () => api(`/v1/meetings/${meeting.id}/end`, { method: "POST", key: apiKey });
    for (let i = 0; i < threshold; i++) {
      const { connectUrl } = await mintToken(apiKey, meeting.id, { identity: `p${i}`, role: i === 0 ? "host" : "participant" });
      clients.push(await RoomClient.join(connectUrl));
    }
    const [host, , , three, four] = clients as [RoomClient, RoomClient, RoomClient, RoomClient, RoomClient];
    const joins = await Promise.all([three, four].map((client) => client.next<SfuJoin>((f) => f.type === "sfu_join", 10_000)));
    bots.push(...(await Promise.all(joins.map((join) => LiveKitBot.connect(join.url, join.token, { timeoutMs: 10_000 })))));
    const [botThree, botFour] = bots as [LiveKitBot, LiveKitBot];
    await Promise.all(bots.flatMap((bot) => [bot.publishAudio(), bot.publishVideo({ width: 160, height: 120, fps: 15 })]));
    botThree.reportQuality((frame) => three.send(frame), { intervalMs: sampleEveryMs });
    botFour.reportQuality((frame) => four.send(frame), { intervalMs: sampleEveryMs });

    // Media both ways and LiveKit's own rating: the samples that follow have something to say.
    const full = (bot: LiveKitBot) => {
      const last = bot.qualitySamples.at(-1);
      const flowing = (direction: string, kind: string) =>
        last?.tracks.some((track) => track.direction === direction && track.kind === kind && track.packets > 0) ?? false;
      return last?.sfuQuality !== undefined && ["audio", "video"].every((kind) => flowing("inbound", kind) && flowing("outbound", kind));
    };
    for (const bot of bots) await bot.waitUntil(() => full(bot), 25_000, "a sample with media both ways and LiveKit's rating");

    const lines: string[] = [];
    for (const [bot, client] of [
      [botThree, three],
      [botFour, four],
    ] as const) {
      const sample = bot.qualitySamples.at(-1)!;
      expect(sample).toMatchObject({ path: "sfu", candidateType: "host" });
      expect(sample.windowMs).toBeGreaterThanOrEqual(sampleEveryMs);
      expect(sample.windowMs).toBeLessThan(sampleEveryMs * 3);
      for (const track of sample.tracks.filter((t) => t.packets > 0)) {
        // Loopback to a local node: a round trip is measured and small; nothing lost to speak of.
        expect(track.rttMs, `${bot.identity} ${track.direction} ${track.kind} rtt`).toBeTypeOf("number");
        expect(track.rttMs!).toBeLessThan(200);
        expect(track.packetsLost).toBeLessThanOrEqual(track.packets * 0.05);
        expect(track.bitrateKbps).toBeGreaterThan(0);
      }
      const inboundVideo = sample.tracks.find((t) => t.direction === "inbound" && t.kind === "video" && t.packets > 0)!;
      expect(inboundVideo).toMatchObject({ width: 160, height: 120 });
      expect(inboundVideo.frameRate).toBeGreaterThan(5);
      // Every frame the bot sent was accepted: the room refused nothing.
      expect(client.ofType("error")).toEqual([]);
      // The room rates what it receives with the shared E-model; everyone's roster follows the latest sample.
      let rated = sampleQuality(sample.tracks)!.quality;
      await bot.waitUntil(
        () => {
          rated = sampleQuality(bot.qualitySamples.at(-1)!.tracks)!.quality;
          return rosterQuality(host, bot.identity) === rated;
        },
        5_000,
        "the host's roster to show the room's rating of the latest sample",
      );
      lines.push(
        `${bot.identity}: ${bot.qualitySamples.length} samples, LiveKit says ${sample.sfuQuality}, the room ${rated}; ` +
          sample.tracks
            .filter((t) => t.packets > 0)
            .map((t) => `${t.direction} ${t.kind} ${t.packets} pkts ${Math.round(t.bitrateKbps ?? 0)} kbps rtt ${t.rttMs} ms`)
            .join(", "),
      );
    }
    console.log(`[sfu-quality-samples]\n${lines.join("\n")}`);
    await annotate(lines.join("\n"));
  });
});
