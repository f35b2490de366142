import { execFile, spawn } from "node:child_process";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { promisify } from "node:util";
import {
  aacEncodeCommand,
  hlsCutCommand,
  mp4JoinCommand,
  opusEncodeCommand,
  segmentAudioCommand,
  segmentCommand,
  tileScaler,
  webmJoinCommand,
  x264Encoder,
} from "../functions/recording-compositor/ffmpeg-command.ts";
import { FragmentedMp4Follower } from "../functions/recording-compositor/fragmented-mp4.ts";
import { hlsTimelineOriginSeconds } from "../functions/recording-compositor/hls-media.ts";
import { gridLayout } from "../functions/recording-compositor/layout.ts";
import { hlsLadder, webmRung } from "../functions/recording-compositor/renditions.ts";
import { assemblyConcatList, planSegments } from "../functions/recording-compositor/segment-plan.ts";
import { buildTimeline } from "../functions/recording-compositor/timeline.ts";
import { RecordingManifest } from "../protocol/recording-manifest.ts";

/** Where every bench recording starts (wall clock). */
const benchT0 = Date.UTC(2026, 0, 1);

/**
 * Compositing cost on this machine: four 720p30 VP8 tracks (the recorder's IVF files, distinct moving test
 * patterns) for a bounded length, composited into a 1080p30 2×2 grid. Measured, in the same run and on the same
 * inputs: our segment commands (two segments run side by side, as two invocations would), the same segments with
 * every rendition encoded from the composite (720p/480p/240p H.264 and VP8, what a segment invocation really
 * runs), a naive baseline (one command, chained `overlay` filters on a canvas, x264's default preset) and ffmpeg's
 * own limit (one command: decode, scale, xstack, encode with our encoder settings; no per-tile or per-interval
 * logic). CPU time is the children's user+system time (GNU time), so it counts every ffmpeg thread.
 *
 * Then what a long meeting adds beyond its segments, at the sizes it has: each segment's HLS cut (its four H.264
 * rungs into media segments), the audio over `audioMinutes` of four microphones in 10 s Ogg Opus chunks (the
 * recorder's): each 60 s segment's mix into its FLAC piece (as the segment invocations run it); and the assembly's
 * joins over `assemblyMinutes`, side by side as the assembly runs them: the MP4 (copies of the segments just made,
 * the pieces encoded once as AAC as it goes, streamed and indexed) and the WebM (Opus), then the AAC cut into HLS
 * media segments. The joins read local files here; in Lambda they read S3.
 */

export interface RecordingCompositeOptions {
  seconds: number;
  segmentSeconds: number;
  audioMinutes: number;
  assemblyMinutes: number;
}

export const defaultRecordingCompositeOptions: RecordingCompositeOptions = {
  seconds: 30,
  segmentSeconds: 15,
  audioMinutes: 10,
  assemblyMinutes: 60,
};

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

    const manifest = benchManifest(
      seconds * 1000,
      sources.map((file, i) => ({
        id: `cam-${i}`,
        participant: `p${i}`,
        kind: "video",
        source: "camera",
        codec: "vp8",
        container: "ivf",
        files: [{ key: file, startedAt: benchT0, endedAt: benchT0 + seconds * 1000 }],
      })),
    );
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
    await benchLongMeeting(dir, plan.segments.length, segmentSeconds, options);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Segment outputs already in `dir` (`ours-<i>.mp4`, `r-<i>-<rung>.<ext>`) stand in for a long meeting's segments. */
async function benchLongMeeting(
  dir: string,
  segmentCount: number,
  segmentSeconds: number,
  options: RecordingCompositeOptions,
): Promise<void> {
  const { audioMinutes, assemblyMinutes } = options;
  const perMinute = (c: Cost, recordedSeconds: number) =>
    `${((c.cpuS / recordedSeconds) * 60).toFixed(2)} CPU-s, ${((c.wallS / recordedSeconds) * 60).toFixed(2)} s wall`;

  // A segment's HLS cut: its four H.264 rungs, copied into 6 s media segments at once (as the segment invocation does).
  const rungFiles = [join(dir, "ours-0.mp4"), ...["720p", "480p", "240p"].map((r) => join(dir, `r-0-${r}.mp4`))];
  const cutStarted = performance.now();
  const cuts = await Promise.all(
    rungFiles.map((input, k) =>
      timed(
        "ffmpeg",
        hlsCutCommand({
          inputPath: input,
          offsetSeconds: hlsTimelineOriginSeconds,
          segmentPathPattern: join(dir, `cut-${k}-%03d.ts`),
          playlistPath: join(dir, `cut-${k}.m3u8`),
        }),
      ),
    ),
  );
  const cut = { wallS: (performance.now() - cutStarted) / 1000, cpuS: cuts.reduce((sum, c) => sum + c.cpuS, 0) };

  // The audio: four microphones of `audioMinutes` in 10 s chunks, voice-like (a tone over pink noise), mixed and
  // encoded once as AAC and once as Opus by the product's own command.
  const chunkSeconds = 10;
  const mics = await Promise.all(
    [220, 330, 440, 550].map(async (hz, i) => {
      const path = join(dir, `mic-${i}.ogg`);
      const voice = `anoisesrc=color=pink:amplitude=0.05:d=${chunkSeconds}[n];sine=f=${hz}:d=${chunkSeconds}[s];[n][s]amix=inputs=2[a]`;
      await run("ffmpeg", [
        ...quiet,
        "-filter_complex",
        voice,
        "-map",
        "[a]",
        "-ac",
        "1",
        "-c:a",
        "libopus",
        "-b:a",
        "32k",
        "-f",
        "ogg",
        path,
      ]);
      return path;
    }),
  );
  const chunks = Math.round((audioMinutes * 60) / chunkSeconds);
  const audioManifest = benchManifest(
    chunks * chunkSeconds * 1000,
    mics.map((file, i) => ({
      id: `mic-${i}`,
      participant: `p${i}`,
      kind: "audio",
      source: "mic",
      codec: "opus",
      container: "ogg",
      files: Array.from({ length: chunks }, (_, c) => ({
        key: `${file}#${c}`,
        startedAt: benchT0 + c * chunkSeconds * 1000,
        endedAt: benchT0 + (c + 1) * chunkSeconds * 1000,
      })),
    })),
  );
  const audioPlan = planSegments(audioManifest, buildTimeline(audioManifest), 60);
  const inputPathOf = (key: string) => key.replace(/#\d+$/, "");
  const piecePath = (index: number) => join(dir, `piece-${index}.flac`);
  // One segment at a time: each is one invocation's mix; their sum is the mix's whole cost.
  const mixes: Cost[] = [];
  for (const segment of audioPlan.segments)
    mixes.push(await timed("ffmpeg", segmentAudioCommand(segment.audio, { inputPathOf, outputPath: piecePath(segment.index) })));
  const mix = { wallS: mixes.reduce((sum, c) => sum + c.wallS, 0), cpuS: mixes.reduce((sum, c) => sum + c.cpuS, 0) };
  const slowestMix = Math.max(...mixes.map((c) => c.wallS));
  const stretchCount = audioPlan.segments.reduce((sum, s) => sum + s.audio.tracks.reduce((n, t) => n + t.stretches.length, 0), 0);
  const pieceList = join(dir, "pieces.ffconcat");
  await writeFile(
    pieceList,
    assemblyConcatList(audioPlan, (s) => piecePath(s.index)),
  );
  // The assembly over `assemblyMinutes`: copies of the segments, and the pieces repeated to length, joined as the
  // assembly joins them: the MP4 (AAC encoded as it goes, fragmented to stdout, followed and indexed as the upload
  // does) and the WebM (Opus, to a file) at once; then the AAC written beside the MP4 cut into HLS media segments.
  const copies = Math.ceil((assemblyMinutes * 60) / segmentSeconds);
  const listOf = async (name: string, pathOf: (i: number) => string, count: number) => {
    const list = join(dir, name);
    await writeFile(list, `ffconcat version 1.0\n${Array.from({ length: count }, (_, i) => `file '${pathOf(i)}'\n`).join("")}`);
    return list;
  };
  const durationSeconds = copies * segmentSeconds;
  const audioListPath = await listOf("pieces-long.ffconcat", (i) => piecePath(i % audioPlan.segments.length), assemblyMinutes);
  const mp4List = await listOf("mp4.ffconcat", (i) => join(dir, `ours-${i % segmentCount}.mp4`), copies);
  const webmList = await listOf("webm.ffconcat", (i) => join(dir, `r-${i % segmentCount}-webm.webm`), copies);
  const aac = join(dir, "long.m4a");
  const joinStarted = performance.now();
  const [mp4, webm] = await Promise.all([
    timedJoin(aacEncodeCommand({ audioListPath, aacPath: aac }), mp4JoinCommand({ videoListPath: mp4List, durationSeconds }), true),
    timedJoin(
      opusEncodeCommand({ audioListPath }),
      webmJoinCommand({ videoListPath: webmList, outputPath: join(dir, "long.webm"), durationSeconds }),
      false,
    ),
  ]);
  const joinWall = (performance.now() - joinStarted) / 1000;
  const audioCut = await timed(
    "ffmpeg",
    hlsCutCommand({
      inputPath: aac,
      offsetSeconds: hlsTimelineOriginSeconds,
      segmentPathPattern: join(dir, "audio-%05d.ts"),
      playlistPath: join(dir, "audio.m3u8"),
    }),
  );
  const sizeOf = async (path: string) => (await stat(path)).size / 1e6;

  console.log(`\nA long meeting beyond its segments (files on local disk)`);
  console.log(
    `  HLS cut of one ${segmentSeconds} s segment's four H.264 rungs (copied, four processes at once): ${cut.cpuS.toFixed(2)} CPU-s, ${cut.wallS.toFixed(2)} s wall`,
  );
  console.log(
    `  audio mix per segment, 4 microphones × ${audioMinutes} min in ${chunkSeconds} s chunks (${audioPlan.segments.length} segments, ` +
      `${stretchCount} stretches) into FLAC pieces: ${perMinute(mix, audioMinutes * 60)} per recorded minute (slowest segment ${slowestMix.toFixed(2)} s wall)`,
  );
  console.log(
    `  joins of ${assemblyMinutes} min (${copies} segments), each fed by its audio encoder (the audio encoded once, whole), all four processes at once: ${joinWall.toFixed(1)} s wall`,
  );
  console.log(
    `    MP4 (AAC fast mono encoder piped into the join; fragmented to a pipe, ${mp4.fragments} fragments indexed): ${(mp4.bytes / 1e6).toFixed(0)} MB in ` +
      `${mp4.wallS.toFixed(1)} s, ${perMinute(mp4, durationSeconds)} per recorded minute (encoder ${mp4.encoderCpuS.toFixed(1)} CPU-s, join ${mp4.joinCpuS.toFixed(1)}, ` +
      `following and indexing the stream ${mp4.followerCpuS.toFixed(1)})`,
  );
  console.log(
    `    WebM (Opus mono encoder piped into the join; to a file): ${(await sizeOf(join(dir, "long.webm"))).toFixed(0)} MB in ${webm.wallS.toFixed(1)} s, ` +
      `${perMinute(webm, durationSeconds)} per recorded minute (encoder ${webm.encoderCpuS.toFixed(1)} CPU-s, join ${webm.joinCpuS.toFixed(1)})`,
  );
  console.log(`  then the audio's HLS cut (the AAC the MP4 join wrote beside it): ${audioCut.wallS.toFixed(1)} s wall`);
}

interface JoinCost extends Cost {
  encoderCpuS: number;
  joinCpuS: number;
  /** The MP4's: its size with the index added, its fragments, and what following and indexing the stream cost. */
  bytes: number;
  fragments: number;
  followerCpuS: number;
}

/** An encoder piped into its join, each under GNU time; the MP4 join's stdout followed and indexed as the upload does. */
async function timedJoin(encoderArgs: string[], joinArgs: string[], followed: boolean): Promise<JoinCost> {
  const started = performance.now();
  const timedChild = (args: string[], stdin: Readable | null, stdout: "pipe" | "ignore") => {
    const child = spawn("/usr/bin/time", ["-f", "@@ %e %U %S", "ffmpeg", ...args], { stdio: [stdin ? "pipe" : "ignore", stdout, "pipe"] });
    if (stdin) stdin.pipe(child.stdin!);
    let stderr = "";
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (text: string) => {
      stderr += text;
    });
    const cpu = new Promise<number>((resolve, reject) =>
      child.on("close", (code) => {
        const line = stderr.split("\n").find((l) => l.startsWith("@@ "));
        if (code !== 0 || !line) return reject(new Error(`ffmpeg failed: ${stderr.slice(-500)}`));
        const [, , user, sys] = line.split(" ").map(Number);
        resolve(user! + sys!);
      }),
    );
    return { child, cpu };
  };
  const encoder = timedChild(encoderArgs, null, "pipe");
  const joined = timedChild(joinArgs, encoder.child.stdout!, followed ? "pipe" : "ignore");
  const follower = new FragmentedMp4Follower();
  let bytes = 0;
  let followerCpu = 0;
  if (followed)
    for await (const chunk of joined.child.stdout as AsyncIterable<Buffer>) {
      const before = process.cpuUsage();
      follower.push(chunk);
      const used = process.cpuUsage(before);
      followerCpu += used.user + used.system;
      bytes += chunk.length;
    }
  const [encoderCpuS, joinCpuS] = await Promise.all([encoder.cpu, joined.cpu]);
  const indexed = followed ? bytes - follower.headBytes!.length + follower.finishedHead().length : 0;
  return {
    wallS: (performance.now() - started) / 1000,
    cpuS: encoderCpuS + joinCpuS,
    encoderCpuS,
    joinCpuS,
    bytes: indexed,
    fragments: follower.fragments.length,
    followerCpuS: followerCpu / 1e6,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) await benchRecordingComposite();

/** A recording of `durationMs` from `benchT0` with one participant `p<i>` per track (the track's `participant`). */
function benchManifest(durationMs: number, tracks: readonly { participant: string }[]) {
  return RecordingManifest.parse({
    version: 1,
    recordingId: "0f1e2d3c-4b5a-4968-8776-655443322110",
    tenantId: "7b0c8f9e-1a2b-4c3d-8e9f-0a1b2c3d4e5f",
    meetingId: "1b0c8f9e-1a2b-4c3d-8e9f-0a1b2c3d4e5f",
    startedAt: benchT0,
    endedAt: benchT0 + durationMs,
    participants: tracks.map((track) => ({ identity: track.participant, name: track.participant.toUpperCase(), excluded: null })),
    tracks,
    paused: [],
    output: { layout: "grid", resolution: "1080p", fps: 30 },
  });
}
