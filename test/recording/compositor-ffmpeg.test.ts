import { execFile } from "node:child_process";
import { access, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RecordingManifest } from "../../protocol/recording-manifest.ts";
import { audioCommand, muxCommand, segmentCommand } from "../../functions/recording-compositor/ffmpeg-command.ts";
import { assemblyConcatList, planSegments } from "../../functions/recording-compositor/segment-plan.ts";
import { buildTimeline } from "../../functions/recording-compositor/timeline.ts";

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
    expect(plan.audio.map((a) => [a.inputOffsetMs, a.outputStartMs, a.durationMs])).toEqual([
      [0, 0, 1000],
      [2000, 1000, 1000],
    ]);
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
    const list = join(dir, "segments.txt");
    await writeFile(
      list,
      assemblyConcatList(plan, (s) => segmentPath(s.index)),
    );
    const output = join(dir, "composite.mp4");
    const aacPath = join(dir, "audio.m4a");
    await run("ffmpeg", audioCommand(plan, { inputPathOf, aacPath, opusPath: join(dir, "audio.ogg") }));
    await run("ffmpeg", muxCommand({ concatListPath: list, audioPath: aacPath, outputPath: output, durationSeconds: 2 }));

    const { stdout } = await run("ffprobe", [
      "-v",
      "error",
      "-show_entries",
      "stream=codec_type,codec_name,width,height,duration,nb_frames:format=duration",
      "-of",
      "json",
      output,
    ]);
    const probe = JSON.parse(stdout) as { streams: Record<string, string | number>[]; format: { duration: string } };
    const video = probe.streams.find((s) => s.codec_type === "video")!;
    const audio = probe.streams.find((s) => s.codec_type === "audio")!;
    expect(video).toMatchObject({ codec_name: "h264", width: 1920, height: 1080, nb_frames: "60" });
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
});
