import { describe, expect, it } from "vitest";
import { RecordingManifest } from "../../protocol/recording-manifest.ts";
import {
  aacEncodeCommand,
  filterValue,
  hlsCutCommand,
  mp4JoinCommand,
  opusEncodeCommand,
  seconds,
  segmentAudioCommand,
  segmentCommand,
  webmJoinCommand,
} from "./ffmpeg-command.ts";
import { hlsLadder, webmRung } from "./renditions.ts";
import { planSegments } from "./segment-plan.ts";
import { buildTimeline } from "./timeline.ts";

const t0 = Date.UTC(2026, 11, 3, 10, 0);
const track = (id: string, participant: string, kind: "audio" | "video", from: number, to: number) => ({
  id,
  participant,
  kind,
  source: kind === "video" ? "camera" : "mic",
  codec: kind === "video" ? "vp8" : "opus",
  container: kind === "video" ? "ivf" : "ogg",
  files: [{ key: `r/${id}`, startedAt: t0 + from, endedAt: t0 + to }],
});
const manifest = RecordingManifest.parse({
  version: 1,
  recordingId: "0f1e2d3c-4b5a-4968-8776-655443322110",
  tenantId: "7b0c8f9e-1a2b-4c3d-8e9f-0a1b2c3d4e5f",
  meetingId: "1b0c8f9e-1a2b-4c3d-8e9f-0a1b2c3d4e5f",
  startedAt: t0,
  endedAt: t0 + 90_000,
  participants: [
    { identity: "ada", name: "Ada", excluded: null },
    { identity: "bob", name: "O'Brien: [B]", excluded: null },
  ],
  tracks: [
    track("ada", "ada", "video", 0, 90_000),
    track("bob", "bob", "video", 70_000, 90_000),
    track("ada-mic", "ada", "audio", 0, 90_000),
    track("bob-mic", "bob", "audio", 70_000, 90_000),
  ],
  paused: [{ from: t0 + 10_000, to: t0 + 20_000 }],
  output: { layout: "grid", resolution: "1080p", fps: 30 },
});
const timeline = buildTimeline(manifest);
const plan = planSegments(manifest, timeline);
const options = { layout: "grid" as const, names: timeline.names, inputPathOf: (k: string) => `/in/${k}`, outputPath: "/out/s.mp4" };
const flagValue = (argv: string[], flag: string) => argv[argv.indexOf(flag) + 1];
const inputsOf = (argv: string[]) => argv.flatMap((a, i) => (a === "-i" ? [[argv[i - 5], argv[i - 3], argv[i - 1], argv[i + 1]]] : []));

describe("a segment's ffmpeg command", () => {
  it("opens each visible tile's file at its offset for its interval, stacks two tiles with xstack and joins intervals with concat", () => {
    // Output 60-80 s is wall 70-90 s (a 10 s pause came before): Bob joins at wall 70 s, so both tiles from its start.
    const argv = segmentCommand(plan, plan.segments[1]!, options);
    expect(inputsOf(argv)).toEqual([
      // Opened 2 s early, so the frame on screen at 70 s is read too; time 0 is then moved back to 70 s.
      ["ivf", "68", "22.033333", "/in/r/ada"],
      ["ivf", "0", "20.033333", "/in/r/bob"],
    ]);
    const graph = flagValue(argv, "-filter_complex")!;
    expect(graph).toContain("xstack=inputs=2:layout=0_270|960_270:fill=black,pad=1920:1080:0:0:black[v0]");
    // Time 0 is the piece's start, and the frame showing then is the first kept (60 frames of lead dropped).
    expect(graph).toContain(
      "[0:v]settb=AVTB,setpts=PTS-2/TB,fps=30:start_time=-2,tpad=stop=-1:stop_mode=clone,trim=start_frame=60,scale=960:540:force_original_aspect_ratio=decrease",
    );
    expect(graph).toContain("[1:v]settb=AVTB,setpts=PTS-0/TB,fps=30:start_time=-0,tpad=stop=-1:stop_mode=clone,trim=start_frame=0,");
    expect(graph).toContain("trim=end_frame=600");
    expect(graph.endsWith("[v0]null,setpts=N/(30*TB)[vout]")).toBe(true);
    expect(graph).not.toContain("drawtext");
  });

  it("a segment spanning a re-flow lists both intervals, each with its own inputs, joined by concat", () => {
    const plan20 = planSegments(manifest, timeline, 20);
    const spanning = plan20.segments.find((s) => s.intervals.length === 2)!;
    const graph = flagValue(segmentCommand(plan20, spanning, options), "-filter_complex")!;
    // Timestamps from the frame count after concat: a one-frame interval keeps its frame.
    expect(graph).toContain("[v0][v1]concat=n=2:v=1:a=0,setpts=N/(30*TB)[vout]");
    expect(graph).toMatch(/\[t0_0\]pad=1920:1080:0:0:black\[v0\]/);
  });

  it("encodes H.264 1080p30 yuv420p in closed 2 s GOPs, a keyframe on the segment's first frame, and no audio", () => {
    const argv = segmentCommand(plan, plan.segments[0]!, options);
    expect(flagValue(argv, "-c:v")).toBe("libx264");
    expect(flagValue(argv, "-preset")).toBe("ultrafast");
    expect(flagValue(argv, "-pix_fmt")).toBe("yuv420p");
    expect([flagValue(argv, "-g"), flagValue(argv, "-keyint_min"), flagValue(argv, "-sc_threshold")]).toEqual(["60", "60", "0"]);
    expect(flagValue(argv, "-force_key_frames")).toBe("expr:eq(n,0)");
    expect(flagValue(argv, "-frames:v")).toBe("1800");
    expect(argv).toContain("-an");
    expect(argv.at(-1)).toBe("/out/s.mp4");
  });

  it("draws names only when a font file is configured, escaped for the filter graph", () => {
    const argv = segmentCommand(plan, plan.segments[1]!, { ...options, fontFile: "/fonts/DejaVu Sans.ttf" });
    const graph = flagValue(argv, "-filter_complex")!;
    expect(graph).toContain(`text=Ada:`);
    expect(graph).toContain(`text=${filterValue("O'Brien: [B]")}:`);
    expect(graph).toContain("fontfile=/fonts/DejaVu Sans.ttf:expansion=none");
  });

  it("an interval with no video is black", () => {
    const empty = RecordingManifest.parse({ ...manifest, tracks: [] });
    const p = planSegments(empty, buildTimeline(empty));
    expect(flagValue(segmentCommand(p, p.segments[0]!, options), "-filter_complex")).toContain("color=c=black:s=1920x1080:r=30");
  });
});

describe("renditions from the same composited frames", () => {
  it("splits the composite once and encodes each lower rung scaled (H.264) and the WebM's VP8, each with the segment's frame count", () => {
    const renditions = [
      { rung: hlsLadder[1]!, path: "/out/720.mp4" },
      { rung: webmRung, path: "/out/s.webm" },
    ];
    const argv = segmentCommand(plan, plan.segments[0]!, { ...options, renditions });
    const graph = flagValue(argv, "-filter_complex")!;
    expect(graph).toContain("[vmain]split=3[vout][r0in][r1in]");
    expect(graph).toContain("[r0in]scale=1280:720,setsar=1[r0]");
    const outputs = argv.flatMap((a, i) =>
      a === "-map" ? [[argv[i + 1], argv[argv.indexOf("-c:v", i) + 1], argv.at(argv.indexOf("-frames:v", i) + 2)]] : [],
    );
    expect(outputs).toEqual([
      ["[vout]", "libx264", "/out/s.mp4"],
      ["[r0]", "libx264", "/out/720.mp4"],
      ["[r1]", "libvpx", "/out/s.webm"],
    ]);
  });
});

const stretch = (k: number, from: number, samples: number, label: string) =>
  `[${k}:a]asetpts=PTS-STARTPTS,aresample=48000,aformat=sample_fmts=fltp:channel_layouts=mono,` +
  `atrim=start_sample=${from}:end_sample=${from + samples},asetpts=PTS-STARTPTS,apad,atrim=end_sample=${samples}[${label}]`;

describe("the audio's commands", () => {
  it("a segment mixes its own span: each track's stretches at their places in whole samples, mono, exactly its length, as FLAC", () => {
    const argv = segmentAudioCommand(plan.segments[0]!.audio, { inputPathOf: (k) => `/in/${k}`, outputPath: "/w/a.flac" });
    // Each file is read whole with its pre-skip kept (no -ss), so its first packet is its span's start.
    const opened = argv.flatMap((x, i) => (x === "-i" ? [argv.slice(i - 4, i + 2).join(" ")] : []));
    expect(opened).toEqual(["-flags2 +skip_manual -f ogg -i /in/r/ada-mic", "-flags2 +skip_manual -f ogg -i /in/r/ada-mic"]);
    const graph = flagValue(argv, "-filter_complex")!.split(";");
    // Ada's stretches before and after the pause, the second read from 20 s into her file; Bob is not heard yet.
    expect(graph).toEqual([
      stretch(0, 0, 480_000, "t0p0"),
      stretch(1, 960_000, 2_400_000, "t0p1"),
      "[t0p0][t0p1]concat=n=2:v=0:a=1[t0]",
      "[t0]amix=inputs=1:duration=longest:normalize=0,apad,atrim=end_sample=2880000[mix]",
    ]);
    expect(argv.slice(-5)).toEqual(["-map", "[mix]", "-c:a", "flac", "/w/a.flac"]);
  });

  it("the next segment reads on from where the last one stopped, and hears Bob after silence only where he is absent", () => {
    const argv = segmentAudioCommand(plan.segments[1]!.audio, { inputPathOf: (k) => `/in/${k}`, outputPath: "/w/a.flac" });
    expect(flagValue(argv, "-filter_complex")!.split(";")).toEqual([
      stretch(0, 3_360_000, 960_000, "t0p0"),
      "[t0p0]anull[t0]",
      stretch(1, 0, 960_000, "t1p1"),
      "[t1p1]anull[t1]",
      "[t0][t1]amix=inputs=2:duration=longest:normalize=0,apad,atrim=end_sample=960000[mix]",
    ]);
  });

  it("a segment with no audio is silence of its exact length", () => {
    const silent = RecordingManifest.parse({ ...manifest, tracks: manifest.tracks.filter((t) => t.kind === "video") });
    const p = planSegments(silent, buildTimeline(silent));
    expect(flagValue(segmentAudioCommand(p.segments[1]!.audio, { inputPathOf: (k) => k, outputPath: "a" }), "-filter_complex")).toBe(
      "anullsrc=r=48000:cl=mono,aformat=sample_fmts=fltp:channel_layouts=mono,atrim=end_sample=960000[mix]",
    );
  });

  it("the audio is encoded once per codec from the joined pieces, mono: AAC as ADTS on stdout and teed to a file, Opus as Ogg on stdout", () => {
    const aac = aacEncodeCommand({ audioListPath: "/w/a.ffconcat", aacPath: "/w/a.m4a" });
    const opus = opusEncodeCommand({ audioListPath: "/w/a.ffconcat" });
    for (const argv of [aac, opus]) {
      expect([flagValue(argv, "-f"), flagValue(argv, "-i"), flagValue(argv, "-protocol_whitelist")]).toEqual([
        "concat",
        "/w/a.ffconcat",
        "file,http,https,tcp,tls,crypto",
      ]);
      expect(flagValue(argv, "-ac")).toBe("1");
    }
    expect([flagValue(aac, "-c:a"), flagValue(aac, "-aac_coder"), flagValue(aac, "-b:a"), aac.at(-1)]).toEqual([
      "aac",
      "fast",
      "96k",
      "[f=adts]pipe\\:1|[f=mp4]/w/a.m4a",
    ]);
    expect([flagValue(opus, "-c:a"), flagValue(opus, "-b:a"), opus.slice(-3)]).toEqual(["libopus", "64k", ["-f", "ogg", "pipe:1"]]);
    expect(() => aacEncodeCommand({ audioListPath: "a", aacPath: "/w/a|b.m4a" })).toThrow(/tee target/);
  });

  it("the joins copy the segments (local paths or URLs) and the encoded audio from stdin: the MP4 fragmented to stdout, its AAC placed a priming earlier", () => {
    const mp4 = mp4JoinCommand({ videoListPath: "/w/v.ffconcat", durationSeconds: 80 });
    expect(mp4.filter((_, i) => mp4[i - 1] === "-i")).toEqual(["/w/v.ffconcat", "pipe:0"]);
    expect([flagValue(mp4, "-itsoffset"), flagValue(mp4, "-c"), flagValue(mp4, "-t"), mp4.slice(-3)]).toEqual([
      "-0.021333",
      "copy",
      "80",
      ["-f", "mp4", "pipe:1"],
    ]);
    expect(flagValue(mp4, "-movflags")).toBe("+frag_keyframe+delay_moov+default_base_moof+skip_trailer");
    // The pipe's packets are read ahead into a deep queue: with ffmpeg's 8, the join and its encoder stalled each other.
    expect(flagValue(mp4, "-thread_queue_size")).toBe("4096");
    const webm = webmJoinCommand({ videoListPath: "/w/v.ffconcat", outputPath: "/w/c.webm", durationSeconds: 1 });
    expect(webm.filter((_, i) => webm[i - 1] === "-i")).toEqual(["/w/v.ffconcat", "pipe:0"]);
    expect([flagValue(webm, "-c"), flagValue(webm, "-t"), flagValue(webm, "-thread_queue_size"), webm.at(-1)]).toEqual([
      "copy",
      "1",
      "4096",
      "/w/c.webm",
    ]);
  });

  it("an HLS cut copies one stream into 6 s media segments, its timestamps moved to its place on the HLS timeline", () => {
    const hls = hlsCutCommand({
      inputPath: "/w/720p.mp4",
      offsetSeconds: 70,
      segmentPathPattern: "/w/h/00001-ab-%03d.ts",
      playlistPath: "/w/h/p.m3u8",
    });
    expect([flagValue(hls, "-i"), flagValue(hls, "-c"), flagValue(hls, "-output_ts_offset"), flagValue(hls, "-hls_time")]).toEqual([
      "/w/720p.mp4",
      "copy",
      "70",
      "6",
    ]);
    expect([flagValue(hls, "-hls_segment_filename"), hls.at(-1)]).toEqual(["/w/h/00001-ab-%03d.ts", "/w/h/p.m3u8"]);
  });
});

describe("ffmpeg's number and text syntax", () => {
  it("writes seconds in fixed point and escapes both levels of a filter value", () => {
    expect([seconds(0), seconds(1 / 30), seconds(60), seconds(1e-9), seconds(-1)]).toEqual(["0", "0.033333", "60", "0", "0"]);
    expect(filterValue("O'Brien: [Ada], 100%; a\\b")).toBe("O\\\\\\'Brien\\\\: \\[Ada\\]\\, 100%\\; a\\\\\\\\b");
  });
});
