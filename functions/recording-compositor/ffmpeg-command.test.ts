import { describe, expect, it } from "vitest";
import { RecordingManifest } from "../../protocol/recording-manifest.ts";
import { audioCommand, filterValue, hlsCutCommand, muxCommand, seconds, segmentCommand } from "./ffmpeg-command.ts";
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

describe("the assembly's commands", () => {
  it("joins each track's stretches at their output times into one stream, mixes the tracks, encoded once as AAC and once as Opus", () => {
    const argv = audioCommand(plan, { inputPathOf: (k) => `/in/${k}`, aacPath: "/w/a.m4a", opusPath: "/w/a.ogg" });
    // Each file is read whole with its pre-skip kept (no -ss), so its first packet is its span's start.
    const opened = argv.flatMap((x, i) => (x === "-i" ? [argv.slice(i - 4, i + 2).join(" ")] : []));
    expect(opened).toEqual([
      "-flags2 +skip_manual -f ogg -i /in/r/ada-mic",
      "-flags2 +skip_manual -f ogg -i /in/r/ada-mic",
      "-flags2 +skip_manual -f ogg -i /in/r/bob-mic",
    ]);
    const graph = flagValue(argv, "-filter_complex")!.split(";");
    const stretch = (k: number, from: number, length: number, samples: number, label: string) =>
      `[${k}:a]asetpts=PTS-STARTPTS,aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,` +
      `atrim=start=${from}:duration=${length},asetpts=PTS-STARTPTS,apad,atrim=end_sample=${samples}[${label}]`;
    // Each track is one stream: its stretches in order (Ada's before and after the pause), silence before Bob joins,
    // every position a whole sample from the start; then the tracks are mixed.
    expect(graph.slice(0, 6)).toEqual([
      stretch(0, 0, 10, 480_000, "t0p0"),
      stretch(1, 20, 70, 3_360_000, "t0p1"),
      "[t0p0][t0p1]concat=n=2:v=0:a=1[t0]",
      "anullsrc=r=48000:cl=stereo,aformat=sample_fmts=fltp:channel_layouts=stereo,atrim=end_sample=2880000[t1g2]",
      stretch(2, 0, 20, 960_000, "t1p2"),
      "[t1g2][t1p2]concat=n=2:v=0:a=1[t1]",
    ]);
    expect(graph.slice(6).join(";")).toBe(
      "[t0][t1]amix=inputs=2:duration=longest:normalize=0,apad,atrim=end=80,asplit=2[aac0][opus0];" +
        "[aac0]asetnsamples=n=1024:p=0[aac];[opus0]asetnsamples=n=960:p=0[opus]",
    );
    expect(argv.filter((_, i) => argv[i - 1] === "-c:a")).toEqual(["aac", "libopus"]);
  });

  it("a recording with no audio gets a silent track of the full length", () => {
    const silent = RecordingManifest.parse({ ...manifest, tracks: manifest.tracks.filter((t) => t.kind === "video") });
    const p = planSegments(silent, buildTimeline(silent));
    expect(flagValue(audioCommand(p, { inputPathOf: (k) => k, aacPath: "a", opusPath: "o" }), "-filter_complex")).toBe(
      "anullsrc=r=48000:cl=stereo,apad,atrim=end=80,asplit=2[aac0][opus0];[aac0]asetnsamples=n=1024:p=0[aac];[opus0]asetnsamples=n=960:p=0[opus]",
    );
  });

  it("a file rendition copies the concatenated segments (read from local paths or URLs) and the audio", () => {
    const mux = muxCommand({ concatListPath: "/w/list", audioPath: "/w/a.m4a", outputPath: "/w/c.mp4", durationSeconds: 80 });
    expect(mux.slice(mux.indexOf("-f"), mux.indexOf("-f") + 4)).toEqual(["-f", "concat", "-safe", "0"]);
    expect([flagValue(mux, "-protocol_whitelist"), flagValue(mux, "-i")]).toEqual(["file,http,https,tcp,tls,crypto", "/w/list"]);
    expect([flagValue(mux, "-c"), flagValue(mux, "-t"), flagValue(mux, "-movflags")]).toEqual(["copy", "80", "+faststart"]);
    expect(muxCommand({ concatListPath: "l", audioPath: "a.ogg", outputPath: "c.webm", durationSeconds: 1 })).not.toContain("-movflags");
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
