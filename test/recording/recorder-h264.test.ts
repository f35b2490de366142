import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { dispose } from "@livekit/rtc-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { segmentCommand } from "../../functions/recording-compositor/ffmpeg-command.ts";
import { planSegments } from "../../functions/recording-compositor/segment-plan.ts";
import { buildTimeline } from "../../functions/recording-compositor/timeline.ts";
import type { RecordingManifest } from "../../protocol/recording-manifest.ts";
import { colourAt, colourName } from "./compositor-media.ts";
import { recorderHarness, sleep, type RecorderHarness } from "./recorder-harness.ts";

// H.264 as Safari (and Chrome on many setups) publishes it: an rtc-node bot sends its camera as H.264 (rtc-node's
// libwebrtc encodes it with OpenH264) through the real LiveKit node to the real track recorder, which writes it as
// IVF (fourcc H264, Annex B access units at their RTP time). Its chunks are read back with ffprobe, then composited
// beside a VP8 camera by the compositor's own commands under the real ffmpeg.

const run = promisify(execFile);
const red: [number, number, number] = [81, 90, 240];
const blue: [number, number, number] = [41, 240, 110];
const fps = 15;

let h: RecorderHarness;

beforeAll(async () => {
  h = await recorderHarness("h264");
});

afterAll(async () => {
  await h?.cleanup();
  await dispose();
});

interface ProbedChunk {
  codec: string;
  width: number;
  decodedFrames: number;
  packets: { pts: number; key: boolean }[];
  duration: number;
}

/** What ffmpeg reads in a chunk: its stream, every packet's time and key flag, frames decoded, the header's length. */
async function probeChunk(file: string): Promise<ProbedChunk> {
  const { stdout } = await run("ffprobe", [
    ...["-v", "error", "-count_frames", "-select_streams", "v"],
    ...["-show_entries", "stream=codec_name,width,nb_read_frames:packet=pts_time,flags:format=duration", "-of", "json", file],
  ]);
  const probed = JSON.parse(stdout) as {
    streams: { codec_name: string; width: number; nb_read_frames: string }[];
    packets: { pts_time: string; flags: string }[];
    format: { duration: string };
  };
  return {
    codec: probed.streams[0]!.codec_name,
    width: probed.streams[0]!.width,
    decodedFrames: Number(probed.streams[0]!.nb_read_frames),
    packets: probed.packets.map((p) => ({ pts: Number(p.pts_time), key: p.flags.startsWith("K") })),
    duration: Number(probed.format.duration),
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

describe("H.264 capture", () => {
  let manifest: RecordingManifest;
  let captureSeconds = 0;

  it("an H.264 camera is captured as IVF chunks that each decode alone, every frame at its capture time, as long as the capture", async () => {
    const room = await h.newRoom("h264");
    await h.join(room, "ada", "Ada", { codec: "h264", yuv: red });
    await h.join(room, "bob", "Bob", { codec: "vp8", yuv: blue });
    const start = h.capture(room);
    const started = await h.pool.start(start);
    await sleep(8_000);
    const { manifestKey } = await h.pool.stop(started.recorderId, start.recordingId);
    manifest = await h.readManifest(manifestKey);
    captureSeconds = (manifest.endedAt - manifest.startedAt) / 1000;

    const kinds = manifest.tracks.map((t) => `${t.participant}/${t.source}/${t.codec}/${t.container}`).sort();
    expect(kinds).toEqual(["ada/camera/h264/ivf", "ada/mic/opus/ogg", "bob/camera/vp8/ivf", "bob/mic/opus/ogg"]);
    const camera = manifest.tracks.find((t) => t.participant === "ada" && t.kind === "video")!;
    expect(camera.files.length).toBeGreaterThanOrEqual(3);

    const intervals: number[] = [];
    for (const file of camera.files) {
      expect(file.key.endsWith(".ivf")).toBe(true);
      const chunk = await probeChunk(await h.download(file.key));
      expect(chunk, file.key).toMatchObject({ codec: "h264", width: 320 });
      // Starts at a keyframe and decodes alone: every frame the file holds comes out of the decoder.
      expect(chunk.packets[0]).toEqual({ pts: 0, key: true });
      expect(chunk.decodedFrames, file.key).toBe(chunk.packets.length);
      const times = chunk.packets.map((p) => p.pts);
      for (let i = 1; i < times.length; i++) {
        expect(times[i]!, `${file.key} frame ${i}`).toBeGreaterThan(times[i - 1]!);
        intervals.push(times[i]! - times[i - 1]!);
      }
      // The file is as long as the span the manifest gives it.
      expect(Math.abs(chunk.duration - (file.endedAt - file.startedAt) / 1000), file.key).toBeLessThan(0.25);
    }
    // The publisher's rate (a frame every 67 ms), not ffmpeg's default 25 fps nor a frame count.
    expect(median(intervals)).toBeGreaterThan(0.8 / fps);
    expect(median(intervals)).toBeLessThan(1.2 / fps);
    const captured = camera.files.at(-1)!.endedAt - camera.files[0]!.startedAt;
    expect(Math.abs(captured / 1000 - captureSeconds)).toBeLessThan(1);
  }, 60_000);

  it("the H.264 capture composites: the bot's red in its tile beside the VP8 camera's blue", async () => {
    expect(manifest, "the capture above ran").toBeDefined();
    const timeline = buildTimeline(manifest);
    const plan = planSegments(manifest, timeline);
    const segment = plan.segments[0]!;
    const files = new Map<string, string>();
    for (const key of manifest.tracks.filter((t) => t.kind === "video").flatMap((t) => t.files.map((f) => f.key)))
      files.set(key, await h.download(key));
    const output = `${files.get(manifest.tracks[0]!.files[0]!.key) ?? [...files.values()][0]!}-composite.mp4`;
    await run(
      "ffmpeg",
      segmentCommand(plan, segment, { layout: "grid", names: {}, inputPathOf: (key) => files.get(key)!, outputPath: output }),
    );

    // Two tiles side by side (960×540 cells at y 270), in the order the timeline gives them; sampled in the middle
    // of the three longest stretches that show both.
    const tiles = [
      { x: 380, y: 440, w: 200, h: 200 },
      { x: 1340, y: 440, w: 200, h: 200 },
    ];
    const stretches = segment.intervals
      .filter((i) => i.video.length === 2)
      .sort((a, b) => b.frames - a.frames)
      .slice(0, 3);
    expect(stretches.length).toBeGreaterThan(0);
    for (const stretch of stretches) {
      const at = (stretch.startFrame + stretch.frames / 2) / plan.fps;
      const tileOf = (who: string) => tiles[stretch.video.findIndex((v) => v.participant === who)]!;
      expect(colourName(await colourAt(output, at, tileOf("ada"))), `ada at ${at.toFixed(2)} s`).toBe("red");
      expect(colourName(await colourAt(output, at, tileOf("bob"))), `bob at ${at.toFixed(2)} s`).toBe("blue");
    }
  }, 120_000);
});
