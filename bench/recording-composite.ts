import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { segmentCommand, tileScaler, x264Encoder } from "../functions/recording-compositor/ffmpeg-command.ts";
import { gridLayout } from "../functions/recording-compositor/layout.ts";
import { hlsLadder, webmRung } from "../functions/recording-compositor/renditions.ts";
import { planSegments } from "../functions/recording-compositor/segment-plan.ts";
import { buildTimeline } from "../functions/recording-compositor/timeline.ts";
import { RecordingManifest } from "../protocol/recording-manifest.ts";

/**
 * Compositing cost on this machine: four 720p30 VP8 tracks (the recorder's IVF files, distinct moving test
 * patterns) for a bounded length, composited into a 1080p30 2×2 grid. Measured, in the same run and on the same
 * inputs: our segment commands (two segments run side by side, as two invocations would), the same segments with
 * every rendition encoded from the composite (720p/480p/240p H.264 and VP8, what a segment invocation really
 * runs), a naive baseline (one command, chained `overlay` filters on a canvas, x264's default preset) and ffmpeg's
 * own limit (one command: decode, scale, xstack, encode with our encoder settings; no per-tile or per-interval
 * logic). CPU time is the children's user+system time (GNU time), so it counts every ffmpeg thread.
 */

export interface RecordingCompositeOptions {
  seconds: number;
  segmentSeconds: number;
}

export const defaultRecordingCompositeOptions: RecordingCompositeOptions = { seconds: 30, segmentSeconds: 15 };

const run = promisify(execFile);
const quiet = ["-hide_banner", "-nostdin", "-loglevel", "error", "-y"];

interface Cost {
  wallS: number;
  cpuS: number;
}

/** One command under GNU time: wall and CPU seconds (user + system, all threads). */
async function timed(program: string, args: string[]): Promise<Cost> {
  const { stderr } = await run("/usr/bin/time", ["-f", "@@ %e %U %S", program, ...args], { maxBuffer: 64 * 1024 * 1024 });
  const line = stderr.split("\n").find((l) => l.startsWith("@@ "));
  if (!line) throw new Error(`no timing from ${program}: ${stderr.slice(-500)}`);
  const [, wall, user, sys] = line.split(" ").map(Number);
  return { wallS: wall!, cpuS: user! + sys! };
}

const x264Ours = [...x264Encoder, "-pix_fmt", "yuv420p", "-r", "30"];

async function ssim(
  output: string,
  source: string,
  rect: { x: number; y: number; w: number; h: number },
  seconds: number,
): Promise<number> {
  const { stderr } = await run("ffmpeg", [
    ...["-hide_banner", "-nostdin", "-t", String(seconds), "-i", output, "-f", "ivf", "-t", String(seconds), "-i", source],
    ...["-filter_complex", `[0:v]crop=${rect.w}:${rect.h}:${rect.x}:${rect.y}[a];[1:v]scale=${rect.w}:${rect.h},fps=30[b];[a][b]ssim`],
    ...["-f", "null", "-"],
  ]);
  const all = /All:([0-9.]+)/.exec(stderr);
  if (!all) throw new Error(`no SSIM figure: ${stderr.slice(-300)}`);
  return Number(all[1]);
}

export async function benchRecordingComposite(options: RecordingCompositeOptions = defaultRecordingCompositeOptions): Promise<void> {
  const { seconds, segmentSeconds } = options;
  const dir = await mkdtemp(join(tmpdir(), "bench-composite-"));
  try {
    const hues = [0, 90, 180, 270];
    const sources = hues.map((_, i) => join(dir, `track-${i}.ivf`));
    // Moving, detailed content (testsrc2 shifted in hue per participant): a solid colour would flatter every encoder.
    await Promise.all(
      hues.map((hue, i) =>
        run("ffmpeg", [
          ...quiet,
          ...["-f", "lavfi", "-i", `testsrc2=s=1280x720:r=30:d=${seconds},hue=h=${hue}`],
          ...["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "1500k", "-f", "ivf", sources[i]!],
        ]),
      ),
    );

    const t0 = Date.UTC(2026, 0, 1);
    const manifest = RecordingManifest.parse({
      version: 1,
      recordingId: "0f1e2d3c-4b5a-4968-8776-655443322110",
      tenantId: "7b0c8f9e-1a2b-4c3d-8e9f-0a1b2c3d4e5f",
      meetingId: "1b0c8f9e-1a2b-4c3d-8e9f-0a1b2c3d4e5f",
      startedAt: t0,
      endedAt: t0 + seconds * 1000,
      participants: hues.map((_, i) => ({ identity: `p${i}`, name: `P${i}`, excluded: null })),
      tracks: sources.map((file, i) => ({
        id: `cam-${i}`,
        participant: `p${i}`,
        kind: "video",
        source: "camera",
        codec: "vp8",
        container: "ivf",
        files: [{ key: file, startedAt: t0, endedAt: t0 + seconds * 1000 }],
      })),
      paused: [],
      output: { layout: "grid", resolution: "1080p", fps: 30 },
    });
    const timeline = buildTimeline(manifest);
    const plan = planSegments(manifest, timeline, segmentSeconds);
    const base = { layout: "grid" as const, names: timeline.names, fontFile: null, inputPathOf: (key: string) => key };

    /** Every segment, two at a time (two cores: two invocations' worth). */
    const ours = async (withRenditions: boolean): Promise<Cost> => {
      const started = performance.now();
      let cpuS = 0;
      for (let i = 0; i < plan.segments.length; i += 2) {
        const costs = await Promise.all(
          plan.segments.slice(i, i + 2).map((segment) =>
            timed(
              "ffmpeg",
              segmentCommand(plan, segment, {
                ...base,
                outputPath: join(dir, `ours-${segment.index}.mp4`),
                renditions: withRenditions
                  ? [...hlsLadder.slice(1), webmRung].map((rung) => ({
                      rung,
                      path: join(dir, `r-${segment.index}-${rung.name}.${rung === webmRung ? "webm" : "mp4"}`),
                    }))
                  : [],
              }),
            ),
          ),
        );
        cpuS += costs.reduce((sum, c) => sum + c.cpuS, 0);
      }
      return { wallS: (performance.now() - started) / 1000, cpuS };
    };

    const tiles = gridLayout(sources.map((_, i) => ({ trackId: `cam-${i}`, participant: `p${i}`, source: "camera" as const, name: null })));
    const inputs = sources.flatMap((s) => ["-f", "ivf", "-i", s]);
    const scaled = tiles.map((t, i) => `[${i}:v]scale=${t.rect.w}:${t.rect.h}:flags=${tileScaler}[s${i}]`).join(";");
    const naive = () => {
      // The overlay chain: a full canvas, each tile scaled and overlaid onto the whole frame in turn; x264's default preset.
      const chain = tiles
        .map(
          (t, i) =>
            `${i === 0 ? "[bg]" : `[o${i - 1}]`}[s${i}]overlay=${t.rect.x}:${t.rect.y}${i === tiles.length - 1 ? "[out]" : `[o${i}]`}`,
        )
        .join(";");
      const graph = `color=c=black:s=1920x1080:r=30:d=${seconds}[bg];${scaled};${chain}`;
      return timed("ffmpeg", [
        ...quiet,
        ...inputs,
        "-filter_complex",
        graph,
        "-map",
        "[out]",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        "-r",
        "30",
        "-frames:v",
        String(plan.totalFrames),
        join(dir, "naive.mp4"),
      ]);
    };
    const limit = () => {
      const layout = tiles.map((t) => `${t.rect.x}_${t.rect.y}`).join("|");
      const graph = `${scaled};${tiles.map((_, i) => `[s${i}]`).join("")}xstack=inputs=4:layout=${layout}[out]`;
      return timed("ffmpeg", [
        ...quiet,
        ...inputs,
        "-filter_complex",
        graph,
        "-map",
        "[out]",
        ...x264Ours,
        "-frames:v",
        String(plan.totalFrames),
        join(dir, "limit.mp4"),
      ]);
    };

    const composite = await ours(false);
    const full = await ours(true);
    const naiveCost = await naive();
    const limitCost = await limit();

    // Our output, joined as the assembly joins it, against each source scaled to its tile.
    const list = join(dir, "list.ffconcat");
    const { writeFile } = await import("node:fs/promises");
    await writeFile(list, `ffconcat version 1.0\n${plan.segments.map((s) => `file '${join(dir, `ours-${s.index}.mp4`)}'\n`).join("")}`);
    const joined = join(dir, "ours.mp4");
    await run("ffmpeg", [...quiet, "-f", "concat", "-safe", "0", "-i", list, "-c", "copy", joined]);
    const ssims = await Promise.all(tiles.map((t, i) => ssim(joined, sources[i]!, t.rect, seconds)));

    const perMinute = (c: Cost) => (c.cpuS / seconds) * 60;
    const line = (label: string, c: Cost) =>
      `  ${label.padEnd(58)} ${perMinute(c).toFixed(1).padStart(6)} CPU-s/recorded min   ${(seconds / c.wallS).toFixed(2).padStart(5)}× real time (wall ${c.wallS.toFixed(1)} s)`;
    console.log(
      `\nRecording compositing: 4 × 720p30 VP8 tracks, ${seconds} s → 1080p30 2×2 grid, ${plan.segments.length} segments of ${segmentSeconds} s`,
    );
    console.log(line("ours: per-interval xstack segments (2 in parallel)", composite));
    console.log(line("ours + renditions (720p/480p/240p H.264, VP8 720p) per segment", full));
    console.log(line("naive: chained overlay, x264 default preset", naiveCost));
    console.log(line("ffmpeg limit: decode + xstack + encode, our encoder settings", limitCost));
    console.log(
      `  ours vs limit ${(limitCost.cpuS / composite.cpuS).toFixed(2)} (CPU; goal ≥ 0.85), vs naive ${(naiveCost.cpuS / composite.cpuS).toFixed(2)}× (CPU; goal ≥ 1.5), ` +
        `${perMinute(composite).toFixed(1)} CPU-s per recorded minute (goal ≤ 40; LiveKit room composite: 240)`,
    );
    console.log(`  SSIM of each tile against its source scaled to the tile: ${ssims.map((s) => s.toFixed(4)).join(", ")} (goal ≥ 0.95)`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchRecordingComposite();
