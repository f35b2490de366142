import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { dispose } from "@livekit/rtc-node";
import { afterAll, describe, expect, it } from "vitest";
import type { ServerFrame } from "../../protocol/server-frames.ts";
import { LiveKitBot } from "../support/livekit-bot.ts";
import { poll } from "../support/poll.ts";
import { RoomClient } from "../support/room-client.ts";
import { api, createMeeting, mintToken, newTenant } from "../support/stack.ts";
import { pcm } from "./compositor-media.ts";

// Lip sync through the whole path: an rtc-node bot flashes white and beeps at the same instants of one clock,
// every 5 s, for a recording of a few minutes; the real SFU, track recorder and compositing Lambda carry it. In
// the composite, each flash and its beep must be within 40 ms of each other, at the start and at the end.

const run = promisify(execFile);
type SfuJoin = Extract<ServerFrame, { type: "sfu_join" }>;
const everyMs = 5_000;
const flashMs = 200;
const recordMs = Number(process.env.RECORDING_SYNC_SECONDS ?? 180) * 1000;
const clients: RoomClient[] = [];
const bots: LiveKitBot[] = [];
let workDir: string | undefined;

afterAll(async () => {
  for (const bot of bots) await bot.disconnect().catch(() => undefined);
  for (const client of clients) client.close();
  await dispose();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

/** Centres (s) of the runs of frames whose middle is bright, decoding every frame at 30 fps. */
async function flashCentres(file: string): Promise<number[]> {
  const { stdout } = await run(
    "ffmpeg",
    [
      "-v",
      "error",
      "-i",
      file,
      "-an",
      // Frames as timed: the MP4 starts 21 ms before its first frame (the AAC priming, hidden by its edit list),
      // which a constant-rate output would fill with one more copy of that frame.
      "-fps_mode",
      "passthrough",
      "-vf",
      "fps=30,crop=200:200:860:440,scale=1:1:flags=area",
      "-pix_fmt",
      "gray",
      "-f",
      "rawvideo",
      "-",
    ],
    { encoding: "buffer", maxBuffer: 64 * 1024 * 1024 },
  );
  return runs([...stdout].map((luma) => luma > 128)).map(([first, last]) => (first + last + 1) / 2 / 30);
}

/** Centres (s) of the stretches where the audio is loud, in 1 ms steps. */
async function beepCentres(file: string, seconds: number): Promise<number[]> {
  const samples = await pcm(file, 0, seconds);
  const loud: boolean[] = [];
  for (let i = 0; i < samples.length; i += 48) {
    let peak = 0;
    for (let j = i; j < Math.min(i + 48, samples.length); j++) peak = Math.max(peak, Math.abs(samples[j]!));
    loud.push(peak > 0.1);
  }
  return runs(loud).map(([first, last]) => (first + last + 1) / 2 / 1000);
}

/** [first, last] index of each run of true. */
function runs(values: boolean[]): [number, number][] {
  const out: [number, number][] = [];
  let from = -1;
  values.forEach((on, i) => {
    if (on && from < 0) from = i;
    if (!on && from >= 0) {
      out.push([from, i - 1]);
      from = -1;
    }
  });
  if (from >= 0) out.push([from, values.length - 1]);
  return out;
}

describe("lip sync through capture and compositing", () => {
  it("keeps every flash within 40 ms of its beep, at the start and at the end", { timeout: recordMs + 720_000 }, async ({ annotate }) => {
    const { apiKey } = await newTenant("recording sync");
    const meeting = await createMeeting(apiKey, { title: "Sync" });
    for (const [identity, role] of [
      ["host", "host"],
      ["clock", "participant"],
    ] as const) {
      const client = await RoomClient.join((await mintToken(apiKey, meeting.id, { identity, role })).connectUrl);
      client.keepAlive();
      clients.push(client);
    }
    const [host, clock] = clients as [RoomClient, RoomClient];
    const started = await api(`/v1/meetings/${meeting.id}/recordings`, { key: apiKey, body: {} });
    expect(started.status).toBe(202);
    const { id } = (await started.json()) as { id: string };
    const join = await clock.next<SfuJoin>((f) => f.type === "sfu_join", 15_000);
    const bot = await LiveKitBot.connect(join.url, join.token, { subscribe: false });
    bots.push(bot);
    await bot.publishFlashAndBeep({ everyMs, flashMs });
    await host.next((f) => f.type === "recording_state" && f.recording?.phase === "capturing", 20_000);
    await new Promise((resolve) => setTimeout(resolve, recordMs));
    expect((await api(`/v1/meetings/${meeting.id}/recordings/${id}/stop`, { key: apiKey, method: "POST" })).status).toBe(200);

    type Detail = { status: string; error: string | null; durationMs: number; renditions: { kind: string; url: string }[] };
    const detail = await poll(
      async () => (await (await api(`/v1/recordings/${id}`, { key: apiKey })).json()) as Detail,
      (d) => d.status === "ready" || d.status === "failed",
      // Compositing three minutes takes about as long again on a quiet 2-core machine; more while others run.
      600_000,
      2_000,
    );
    expect(detail.error).toBeNull();
    expect(detail.status).toBe("ready");
    workDir = await mkdtemp(path.join(tmpdir(), "recording-sync-"));
    const mp4 = path.join(workDir, "composite.mp4");
    await writeFile(mp4, new Uint8Array(await (await fetch(detail.renditions.find((r) => r.kind === "mp4")!.url)).arrayBuffer()));

    const seconds = detail.durationMs / 1000;
    const flashes = await flashCentres(mp4);
    const beeps = await beepCentres(mp4, seconds);
    // Every full period of the recording holds one flash and one beep.
    expect(flashes.length).toBeGreaterThanOrEqual(Math.floor((seconds * 1000) / everyMs) - 1);
    // Each flash with the nearest beep within 1 s; a flash with none (the first, before the audio track existed) is left out.
    // The first second is left out: the bot's first flash comes before its audio track is captured, whose first
    // packet may fall in the middle of the first beep.
    const offsets = flashes
      .filter((flash) => flash >= 1)
      .flatMap((flash) => {
        const beep = beeps.reduce((best, b) => (Math.abs(b - flash) < Math.abs(best - flash) ? b : best), Number.POSITIVE_INFINITY);
        return Math.abs(beep - flash) <= 1 ? [Math.round((beep - flash) * 1000)] : [];
      });
    annotate(`${seconds.toFixed(1)} s recorded; beep − flash per period (ms): ${offsets.join(", ")}`);
    for (const offset of [...offsets.slice(0, 2), ...offsets.slice(-2)]) expect(Math.abs(offset)).toBeLessThanOrEqual(40);
  });
});
