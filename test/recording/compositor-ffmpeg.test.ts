import { execFile, spawn } from "node:child_process";
import { access, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RecordingManifest } from "../../protocol/recording-manifest.ts";
import {
  aacEncodeCommand,
  mp4JoinCommand,
  segmentAudioCommand,
  segmentCommand,
} from "../../functions/recording-compositor/ffmpeg-command.ts";
import { assemblyConcatList, planSegments, type RecordingPlan } from "../../functions/recording-compositor/segment-plan.ts";
import { buildTimeline } from "../../functions/recording-compositor/timeline.ts";
import { pcm } from "./compositor-media.ts";

/**
 * The planned commands run by the system ffmpeg (Debian's, as scripts/install-system.sh installs it) on tiny
 * synthetic tracks: a camera and a microphone for 3 s, paused in the middle second, and a late joiner's camera for
 * the last second. Two 1 s segments of output, then the assembly; ffprobe checks the MP4. About 5 s on two cores, so it runs with the stack suites, not the
 * millisecond unit suites; it needs no service.
 */
const run = promisify(execFile);
const t0 = Date.UTC(2026, 11, 3, 10, 0);
let dir = "";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "compositor-"));
  const gen = (args: string[]) => run("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", ...args]);
  const vp8 = ["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "300k"];
  await Promise.all([
    gen(["-f", "lavfi", "-i", "testsrc=s=320x240:r=30:d=3", ...vp8, join(dir, "ada.ivf")]),
    gen(["-f", "lavfi", "-i", "testsrc2=s=640x360:r=30:d=1", ...vp8, join(dir, "bob.ivf")]),
    gen(["-f", "lavfi", "-i", "sine=f=440:r=48000:d=3", "-c:a", "libopus", join(dir, "ada.ogg")]),
  ]);
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Each segment's audio piece (as its invocation mixes it), then the pieces joined (as the assembly does): the FLACs' list. */
async function audioPieces(plan: RecordingPlan, inputPathOf: (key: string) => string, name: string): Promise<string> {
  const piecePath = (index: number) => join(dir, `${name}-${index}.flac`);
  await Promise.all(plan.segments.map((s) => run("ffmpeg", segmentAudioCommand(s.audio, { inputPathOf, outputPath: piecePath(s.index) }))));
  const list = join(dir, `${name}.ffconcat`);
  await writeFile(
    list,
    assemblyConcatList(plan, (s) => piecePath(s.index)),
  );
  return list;
}

/**
 * The assembly's MP4 join over the segments (a concat list of local files here): the AAC encoder piped into the
 * join, whose output is ffmpeg's fragmented MP4 before the upload adds its index; and the AAC teed beside it.
 */
async function joinMp4(
  plan: RecordingPlan,
  segmentPathOf: (index: number) => string,
  inputPathOf: (key: string) => string,
  name: string,
): Promise<{ mp4: string; aac: string }> {
  const videoListPath = join(dir, `${name}-video.ffconcat`);
  await writeFile(
    videoListPath,
    assemblyConcatList(plan, (s) => segmentPathOf(s.index)),
  );
  const audioListPath = await audioPieces(plan, inputPathOf, name);
  const out = { mp4: join(dir, `${name}.mp4`), aac: join(dir, `${name}.m4a`) };
  const exitOf = (child: ReturnType<typeof spawn>) =>
    new Promise<void>((resolve, reject) =>
      child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}`)))),
    );
  const encoder = spawn("ffmpeg", aacEncodeCommand({ audioListPath, aacPath: out.aac }), { stdio: ["ignore", "pipe", "inherit"] });
  const joiner = spawn("ffmpeg", mp4JoinCommand({ videoListPath, durationSeconds: plan.totalFrames / plan.fps }), {
    stdio: ["pipe", "pipe", "inherit"],
  });
  encoder.stdout!.pipe(joiner.stdin!);
  const chunks: Buffer[] = [];
  joiner.stdout!.on("data", (chunk: Buffer) => chunks.push(chunk));
  await Promise.all([exitOf(encoder), exitOf(joiner)]);
  await writeFile(out.mp4, Buffer.concat(chunks));
  return out;
}

const pcmOf = async (args: string[]): Promise<Float32Array> => {
  const { stdout } = await run("ffmpeg", ["-v", "error", ...args, "-ac", "1", "-ar", "48000", "-f", "f32le", "-"], {
    encoding: "buffer",
    maxBuffer: 16 * 1024 * 1024,
  });
  return new Float32Array(stdout.buffer, stdout.byteOffset, stdout.length / 4);
};

const track = (id: string, participant: string, kind: "audio" | "video", key: string, from: number, to: number) => ({
  id,
  participant,
  kind,
  source: kind === "video" ? "camera" : "mic",
  codec: kind === "video" ? "vp8" : "opus",
  container: kind === "video" ? "ivf" : "ogg",
  files: [{ key, startedAt: t0 + from, endedAt: t0 + to }],
});

describe("the compositor's commands under the real ffmpeg", () => {
  it("a 3 s recording paused for 1 s: two segments (one tile, then two) and the assembly make a 2 s 1920×1080 H.264 + AAC MP4", async () => {
    const manifest = RecordingManifest.parse({
      version: 1,
      recordingId: "0f1e2d3c-4b5a-4968-8776-655443322110",
      tenantId: "7b0c8f9e-1a2b-4c3d-8e9f-0a1b2c3d4e5f",
      meetingId: "1b0c8f9e-1a2b-4c3d-8e9f-0a1b2c3d4e5f",
      startedAt: t0,
      endedAt: t0 + 3000,
      participants: [
        { identity: "ada", name: "Ada", excluded: null },
        { identity: "bob", name: "O'Brien: [B]", excluded: null },
      ],
      tracks: [
        track("ada-cam", "ada", "video", "ada.ivf", 0, 3000),
        track("bob-cam", "bob", "video", "bob.ivf", 2000, 3000),
        track("ada-mic", "ada", "audio", "ada.ogg", 0, 3000),
      ],
      paused: [{ from: t0 + 1000, to: t0 + 2000 }],
      output: { layout: "grid", resolution: "1080p", fps: 30 },
    });
    const plan = planSegments(manifest, buildTimeline(manifest), 1);
    expect(plan.segments.map((s) => s.intervals.map((i) => i.video.length))).toEqual([[1], [2]]);
    // After the pause the camera resumes 2 s into its file and the microphone plays in two stretches.
    expect(plan.segments[1]!.intervals[0]!.video.map((v) => v.inputOffsetSeconds)).toEqual([2, 0]);
    expect(
      plan.segments.map((s) => s.audio.tracks.map((t) => t.stretches.map((x) => [x.fileOffsetSamples, x.atSample, x.samples]))),
    ).toEqual([[[[0, 0, 48_000]]], [[[96_000, 0, 48_000]]]]);
    const inputPathOf = (key: string) => join(dir, key);
    // Names are drawn when Debian's fonts-dejavu-core is installed (fontconfig, which ffmpeg's libraries pull in, wants it).
    const font = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
    const fontFile = await access(font).then(
      () => font,
      () => null,
    );
    const names = buildTimeline(manifest).names;
    const segmentPath = (index: number) => join(dir, `segment-${index}.mp4`);
    await Promise.all(
      plan.segments.map((s) =>
        run("ffmpeg", segmentCommand(plan, s, { layout: "grid", names, fontFile, inputPathOf, outputPath: segmentPath(s.index) })),
      ),
    );
    const { mp4: output } = await joinMp4(plan, segmentPath, inputPathOf, "audio");

    const { stdout } = await run("ffprobe", [
      "-v",
      "error",
      "-count_frames",
      "-show_entries",
      "stream=codec_type,codec_name,width,height,duration,nb_read_frames:format=duration",
      "-of",
      "json",
      output,
    ]);
    const probe = JSON.parse(stdout) as { streams: Record<string, string | number>[]; format: { duration: string } };
    const video = probe.streams.find((s) => s.codec_type === "video")!;
    const audio = probe.streams.find((s) => s.codec_type === "audio")!;
    expect(video).toMatchObject({ codec_name: "h264", width: 1920, height: 1080, nb_read_frames: "60" });
    expect(audio.codec_name).toBe("aac");
    expect(Math.abs(Number(video.duration) - 2)).toBeLessThanOrEqual(1 / 30);
    expect(Math.abs(Number(audio.duration) - 2)).toBeLessThanOrEqual(1 / 30);

    // Mean brightness of a region of the frame at an output time: Ada alone (4:3, pillarboxed) leaves the right
    // edge black; once Bob joins, his tile fills the right half.
    const brightness = async (at: number, crop: string) => {
      const args = [
        "-v",
        "error",
        "-ss",
        String(at),
        "-i",
        output,
        "-frames:v",
        "1",
        "-vf",
        `crop=${crop},scale=1:1`,
        "-pix_fmt",
        "gray",
        "-f",
        "rawvideo",
        "-",
      ];
      const { stdout: pixel } = await run("ffmpeg", args, { encoding: "buffer" });
      return pixel[0]!;
    };
    expect(await brightness(0.5, "200:1080:1720:0")).toBeLessThan(20);
    expect(await brightness(1.5, "800:400:1040:340")).toBeGreaterThan(40);
  }, 30_000);

  it("a flash and its beep land where their spans say: chunks a frame apart, an IVF clock starting at 1000 s, an 80 ms Opus pre-skip", async () => {
    const gen = (args: string[]) => run("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", ...args]);
    const vp8 = ["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "300k"];
    // The camera's second chunk starts one frame after the first ends (as the recorder's do), and its timestamps
    // start at 1000 s (a file's clock need not start at 0); its frames 14-19 are white, from 1033 + 467 = 1500 ms.
    await Promise.all([
      gen(["-f", "lavfi", "-i", "color=c=black:s=320x240:r=30:d=1", ...vp8, join(dir, "flash-a.ivf")]),
      gen([
        ...["-f", "lavfi", "-i", "color=c=black:s=320x240:r=30:d=0.967"],
        ...["-vf", "drawbox=c=white:t=fill:enable='between(n,14,19)'", ...vp8, "-output_ts_offset", "1000"],
        join(dir, "flash-b.ivf"),
      ]),
      gen([
        "-f",
        "lavfi",
        "-i",
        "aevalsrc='if(between(t,1.5,1.7),0.5*sin(2*PI*1000*t),0)':s=48000:d=2",
        "-c:a",
        "libopus",
        join(dir, "beep.ogg"),
      ]),
    ]);
    // The recorder's Ogg writer declares 3840 samples of pre-skip; its first packet is still its span's start.
    await writeFile(join(dir, "beep.ogg"), withPreSkip(await readFile(join(dir, "beep.ogg")), 3840));
    const manifest = RecordingManifest.parse({
      version: 1,
      recordingId: "0f1e2d3c-4b5a-4968-8776-655443322111",
      tenantId: "7b0c8f9e-1a2b-4c3d-8e9f-0a1b2c3d4e5f",
      meetingId: "1b0c8f9e-1a2b-4c3d-8e9f-0a1b2c3d4e5f",
      startedAt: t0,
      endedAt: t0 + 2000,
      participants: [{ identity: "ada", name: "Ada", excluded: null }],
      tracks: [
        {
          ...track("ada-cam", "ada", "video", "flash-a.ivf", 0, 1000),
          files: [
            { key: "flash-a.ivf", startedAt: t0, endedAt: t0 + 1000 },
            { key: "flash-b.ivf", startedAt: t0 + 1033, endedAt: t0 + 2000 },
          ],
        },
        track("ada-mic", "ada", "audio", "beep.ogg", 0, 2000),
      ],
      paused: [],
      output: { layout: "grid", resolution: "1080p", fps: 30 },
    });
    const plan = planSegments(manifest, buildTimeline(manifest));
    // The gap between the chunks is one black frame: it must keep its place, or everything after plays early.
    expect(plan.segments[0]!.intervals.map((i) => i.frames)).toEqual([30, 1, 29]);
    const inputPathOf = (key: string) => join(dir, key);
    const segment = join(dir, "flash.mp4");
    await run("ffmpeg", segmentCommand(plan, plan.segments[0]!, { layout: "grid", names: {}, inputPathOf, outputPath: segment }));
    const { mp4, aac } = await joinMp4(plan, () => segment, inputPathOf, "beep");

    const { stdout: luma } = await run(
      "ffmpeg",
      // Every decoded frame once: the AAC priming starts the file 21 ms before its first frame, which a constant
      // frame rate output would fill with a copy of it.
      [
        "-v",
        "error",
        "-i",
        mp4,
        "-map",
        "0:v",
        "-fps_mode",
        "passthrough",
        "-vf",
        "crop=200:200:860:440,scale=1:1:flags=area",
        "-pix_fmt",
        "gray",
        "-f",
        "rawvideo",
        "-",
      ],
      { encoding: "buffer" },
    );
    expect(luma.length).toBe(60);
    expect(luma.findIndex((y) => y > 128)).toBe(45);
    // In the MP4 and in the AAC beside it (the HLS audio's source) alike: the priming is trimmed by both.
    for (const file of [mp4, aac]) {
      const samples = await pcm(file, 0, 2);
      const beepMs = samples.findIndex((x) => Math.abs(x) > 0.1) / 48;
      // libopus delays its input by 312 samples (6.5 ms), which the patched pre-skip no longer hides.
      expect(beepMs).toBeGreaterThanOrEqual(1495);
      expect(beepMs).toBeLessThanOrEqual(1515);
    }
  }, 30_000);

  it("a piece that starts after its file's last frame shows that frame: a chunk lasting until the next one's keyframe keeps the segment's frame count", async () => {
    const gen = (args: string[]) => run("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", ...args]);
    const vp8 = ["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "300k"];
    // The white chunk's last frame is at 967 ms; it lasts until the black chunk's keyframe at 1100 ms, and the
    // microphone's chunks meet at 1050 ms, so one interval starts after that last frame.
    await Promise.all([
      gen(["-f", "lavfi", "-i", "color=c=white:s=320x240:r=30:d=1", ...vp8, join(dir, "hold-a.ivf")]),
      gen(["-f", "lavfi", "-i", "color=c=black:s=320x240:r=30:d=0.9", ...vp8, join(dir, "hold-b.ivf")]),
      gen(["-f", "lavfi", "-i", "sine=f=440:r=48000:d=1.05", "-c:a", "libopus", join(dir, "hold-a.ogg")]),
      gen(["-f", "lavfi", "-i", "sine=f=440:r=48000:d=0.95", "-c:a", "libopus", join(dir, "hold-b.ogg")]),
    ]);
    const manifest = RecordingManifest.parse({
      version: 1,
      recordingId: "0f1e2d3c-4b5a-4968-8776-655443322112",
      tenantId: "7b0c8f9e-1a2b-4c3d-8e9f-0a1b2c3d4e5f",
      meetingId: "1b0c8f9e-1a2b-4c3d-8e9f-0a1b2c3d4e5f",
      startedAt: t0,
      endedAt: t0 + 2000,
      participants: [{ identity: "ada", name: "Ada", excluded: null }],
      tracks: [
        {
          ...track("ada-cam", "ada", "video", "hold-a.ivf", 0, 1100),
          files: [
            { key: "hold-a.ivf", startedAt: t0, endedAt: t0 + 1100 },
            { key: "hold-b.ivf", startedAt: t0 + 1100, endedAt: t0 + 2000 },
          ],
        },
        {
          ...track("ada-mic", "ada", "audio", "hold-a.ogg", 0, 1050),
          files: [
            { key: "hold-a.ogg", startedAt: t0, endedAt: t0 + 1050 },
            { key: "hold-b.ogg", startedAt: t0 + 1050, endedAt: t0 + 2000 },
          ],
        },
      ],
      paused: [],
      output: { layout: "grid", resolution: "1080p", fps: 30 },
    });
    const plan = planSegments(manifest, buildTimeline(manifest));
    expect(plan.segments[0]!.intervals.map((i) => i.frames)).toEqual([32, 1, 27]);
    const segment = join(dir, "hold.mp4");
    await run(
      "ffmpeg",
      segmentCommand(plan, plan.segments[0]!, { layout: "grid", names: {}, inputPathOf: (key) => join(dir, key), outputPath: segment }),
    );
    const { stdout: luma } = await run(
      "ffmpeg",
      ["-v", "error", "-i", segment, "-vf", "crop=200:200:860:440,scale=1:1:flags=area", "-pix_fmt", "gray", "-f", "rawvideo", "-"],
      { encoding: "buffer" },
    );
    // 60 frames: none lost (a short segment plays everything after it a frame early); white until 1100 ms.
    expect(luma.length).toBe(60);
    expect(luma.findIndex((y) => y < 128)).toBe(33);
  }, 30_000);

  it("the segments' audio pieces abut sample-exactly: joined, they are the file itself, across cuts inside its stretches", async () => {
    await run("ffmpeg", [
      "-hide_banner",
      "-loglevel",
      "error",
      "-y",
      "-f",
      "lavfi",
      "-i",
      "sine=f=440:r=48000:d=4",
      "-c:a",
      "libopus",
      join(dir, "long.ogg"),
    ]);
    const manifest = RecordingManifest.parse({
      version: 1,
      recordingId: "0f1e2d3c-4b5a-4968-8776-655443322113",
      tenantId: "7b0c8f9e-1a2b-4c3d-8e9f-0a1b2c3d4e5f",
      meetingId: "1b0c8f9e-1a2b-4c3d-8e9f-0a1b2c3d4e5f",
      startedAt: t0,
      endedAt: t0 + 3500,
      participants: [{ identity: "ada", name: "Ada", excluded: null }],
      tracks: [track("ada-mic", "ada", "audio", "long.ogg", 0, 3500)],
      paused: [],
      output: { layout: "grid", resolution: "1080p", fps: 30 },
    });
    // 0.7 s segments: four cuts, each inside the one stretch, none on a packet boundary of the file.
    const plan = planSegments(manifest, buildTimeline(manifest), 0.7);
    expect(plan.segments.map((s) => s.audio.samples)).toEqual([33_600, 33_600, 33_600, 33_600, 33_600]);
    const joined = await pcmOf(["-f", "concat", "-safe", "0", "-i", await audioPieces(plan, (key) => join(dir, key), "long")]);
    const direct = await pcmOf(["-flags2", "+skip_manual", "-i", join(dir, "long.ogg"), "-af", "atrim=end_sample=168000"]);
    expect(joined.length).toBe(168_000);
    expect(direct.length).toBe(168_000);
    // The pieces are 16-bit FLAC: equal to the decoded file within its quantisation; one sample's shift anywhere
    // would differ by ~0.007 (a 440 Hz sine at lavfi's amplitude).
    const worst = joined.reduce((max, x, i) => Math.max(max, Math.abs(x - direct[i]!)), 0);
    expect(worst).toBeLessThan(1e-3);
  }, 30_000);
});

/** Sets an Ogg Opus file's pre-skip (libopus writes 312 samples, the recorder's pion writer 3840) and its page's CRC. */
function withPreSkip(ogg: Buffer, samples: number): Buffer {
  const out = Buffer.from(ogg);
  out.writeUInt16LE(samples, out.indexOf("OpusHead") + 10);
  const segments = out[26]!;
  const length = 27 + segments + [...out.subarray(27, 27 + segments)].reduce((a, b) => a + b, 0);
  out.writeUInt32LE(0, 22);
  let crc = 0;
  for (const byte of out.subarray(0, length)) {
    crc ^= byte << 24;
    for (let k = 0; k < 8; k++) crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
  }
  out.writeUInt32LE(crc >>> 0, 22);
  return out;
}
