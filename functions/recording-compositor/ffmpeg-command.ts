import { type Canvas, canvas1080p, gridLayout, speakerLayout, type TilePlacement } from "./layout.ts";
import { gopSeconds, hlsLadder, hlsSegmentSeconds, thumbnailSize, type VideoRung, webmRung } from "./renditions.ts";
import { audioSampleRate, type PieceStretch, type SegmentAudio } from "./audio-plan.ts";
import type { RecordingPlan, Segment, SegmentInterval } from "./segment-plan.ts";

/**
 * The ffmpeg argv (without the program name) for one segment and for the assembly. Pure: the handler downloads
 * the files, says where each one is (`inputPathOf`), runs the command and uploads the output.
 *
 * A segment's graph is one sub-graph per interval, joined by `concat`: each interval opens only the tiles it
 * shows (`-ss`/`-t` on each input), scales each once, and `xstack` copies each tile into the frame once. The
 * alternative, one `overlay` per tile with `enable=` over the whole segment, decodes every track for the whole
 * segment even while hidden and copies the full frame once per tile per frame: more work for the same pixels.
 */

/** Every command runs unattended: no banner, no reading stdin, errors only, outputs overwritten (a retry rewrites them). */
const quietOverwrite = ["-hide_banner", "-nostdin", "-loglevel", "error", "-y"] as const;

export interface SegmentCommandOptions {
  layout: "grid" | "speaker";
  /** Display names by identity; drawn only when `fontFile` is set (drawtext needs a font file). */
  names: Record<string, string>;
  fontFile?: string | null;
  inputPathOf: (fileKey: string) => string;
  /** The composite (the first HLS rung, 1080p). */
  outputPath: string;
  /** Further renditions encoded from the same composited frames: lower HLS rungs, the WebM's VP8. */
  renditions?: readonly { rung: VideoRung; path: string }[];
  canvas?: Canvas;
}

/** The ffmpeg demuxer that opens each container the recorder writes (named, so nothing is left to probing). */
export const demuxerOf = { ivf: "ivf", ogg: "ogg" } as const;

/** How far before a video piece its file is opened: longer than any gap between a live track's frames. */
const seekLeadSeconds = 2;

/** Seconds as ffmpeg reads them: fixed-point, never an exponent. */
export const seconds = (s: number): string => {
  const fixed = Math.max(0, s).toFixed(6);
  return fixed.replace(/\.?0+$/, "") || "0";
};

/** A value inside a filter option (`text=…`), then inside the filter graph: both levels of ffmpeg's escaping. */
export function filterValue(text: string): string {
  const option = text.replace(/[\\':]/g, (c) => `\\${c}`);
  return option.replace(/[\\'[\],;]/g, (c) => `\\${c}`);
}

/** Frames between keyframes: every output keys on the same frames, starting at the segment's first. */
const gopFrames = (plan: RecordingPlan): number => Math.min(plan.segmentFrames, Math.round(gopSeconds * plan.fps));

/** The composite's H.264 encoder and quality, on every rung (the bench's ffmpeg-limit baseline uses the same). */
export const x264Encoder = ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "23"] as const;
/** How tiles are scaled into their cells (the bench's baseline scales the same way). */
export const tileScaler = "bilinear";

const h264Settings = (plan: RecordingPlan, rung: VideoRung): string[] => [
  ...x264Encoder,
  "-maxrate",
  `${rung.maxrateKbps}k`,
  "-bufsize",
  `${rung.maxrateKbps * 2}k`,
  "-pix_fmt",
  "yuv420p",
  "-r",
  String(plan.fps),
  // Closed GOPs at fixed frames, a keyframe on the segment's first: the assembly joins segments by copying, and
  // every rung cuts HLS media segments on the same instants.
  "-g",
  String(gopFrames(plan)),
  "-keyint_min",
  String(gopFrames(plan)),
  "-sc_threshold",
  "0",
  "-force_key_frames",
  "expr:eq(n,0)",
  "-x264-params",
  "open-gop=0",
];

const vp8Settings = (plan: RecordingPlan, rung: VideoRung): string[] => [
  "-c:v",
  "libvpx",
  "-deadline",
  "realtime",
  "-cpu-used",
  "8",
  "-b:v",
  `${rung.maxrateKbps}k`,
  "-auto-alt-ref",
  "0",
  "-pix_fmt",
  "yuv420p",
  "-r",
  String(plan.fps),
  "-g",
  String(gopFrames(plan)),
  "-keyint_min",
  String(gopFrames(plan)),
];

function placements(interval: SegmentInterval, options: SegmentCommandOptions, canvas: Canvas): TilePlacement[] {
  const tiles = interval.video.map((v) => ({
    trackId: v.trackId,
    participant: v.participant,
    source: v.source,
    name: options.fontFile ? (options.names[v.participant] ?? null) : null,
  }));
  return options.layout === "speaker" ? speakerLayout(tiles, interval.speaker, canvas) : gridLayout(tiles, canvas);
}

export function segmentCommand(plan: RecordingPlan, segment: Segment, options: SegmentCommandOptions): string[] {
  const canvas = options.canvas ?? canvas1080p;
  const fps = plan.fps;
  const inputs: string[] = [];
  const graph: string[] = [];
  let inputCount = 0;
  segment.intervals.forEach((interval, j) => {
    const n = interval.frames;
    const duration = n / fps;
    const placed = placements(interval, options, canvas);
    if (!placed.length) {
      graph.push(`color=c=black:s=${canvas.width}x${canvas.height}:r=${fps},format=yuv420p,trim=end_frame=${n},setpts=PTS-STARTPTS[v${j}]`);
      return;
    }
    const tiles = placed.map((tile, i) => {
      const piece = interval.video.find((v) => v.trackId === tile.trackId)!;
      // Opened a little before the piece, so the frame already on screen at its start is read too (a seek drops
      // every frame before it). ffmpeg counts -ss from the file's first timestamp, whatever the RTP clock made it.
      const seekAt = Math.max(0, piece.inputOffsetSeconds - seekLeadSeconds);
      const lead = piece.inputOffsetSeconds - seekAt;
      // Whole frames before the piece's start: fps pads (by cloning) or drops to exactly that many, so the frame
      // on screen at the start is the first one kept. (fps drops every frame before start_time, even the one
      // still showing at it, so start_time can't be the piece's start.)
      const leadFrames = Math.ceil(lead * fps - 1e-6);
      // One frame more than needed: the trim below makes the count exact, and a short read is padded by cloning.
      inputs.push("-f", demuxerOf[piece.container], "-ss", seconds(seekAt), "-t", seconds(lead + duration + 1 / fps));
      inputs.push("-i", options.inputPathOf(piece.fileKey));
      const { w, h } = tile.rect;
      const label = tile.label
        ? `,drawtext=fontfile=${filterValue(options.fontFile!)}:expansion=none:text=${filterValue(tile.label.text)}:x=${tile.label.x - tile.rect.x}:y=${tile.label.y - tile.rect.y}:fontsize=${tile.label.fontSize}:fontcolor=white:box=1:boxcolor=black@0.5:boxborderw=6`
        : "";
      graph.push(
        // The piece's start is time 0 (in microseconds: a file's own time base may be too coarse to shift by a
        // fraction of a frame) and the frames sit on the output's grid from there, not shifted to whichever frame
        // came first after the seek.
        // The last frame is cloned before the lead is trimmed: a piece may start after its file's last frame (a
        // chunk lasts until the next one's keyframe), and fps stops at that frame, so the trim left nothing.
        `[${inputCount++}:v]settb=AVTB,setpts=PTS-${seconds(lead)}/TB,fps=${fps}:start_time=-${seconds(leadFrames / fps)},tpad=stop=-1:stop_mode=clone,trim=start_frame=${leadFrames},scale=${w}:${h}:force_original_aspect_ratio=decrease:force_divisible_by=2:flags=${tileScaler},` +
          `pad=${w}:${h}:(ow-iw)/2:(oh-ih)/2:black,setsar=1,format=yuv420p,trim=end_frame=${n}${label}[t${j}_${i}]`,
      );
      return tile;
    });
    if (tiles.length === 1) {
      const { x, y } = tiles[0]!.rect;
      graph.push(`[t${j}_0]pad=${canvas.width}:${canvas.height}:${x}:${y}:black[v${j}]`);
    } else {
      const layout = tiles.map((t) => `${t.rect.x}_${t.rect.y}`).join("|");
      const stacked = tiles.map((_, i) => `[t${j}_${i}]`).join("");
      graph.push(
        `${stacked}xstack=inputs=${tiles.length}:layout=${layout}:fill=black,pad=${canvas.width}:${canvas.height}:0:0:black[v${j}]`,
      );
    }
  });
  const parts = segment.intervals.map((_, j) => `[v${j}]`).join("");
  const renditions = options.renditions ?? [];
  const composite = renditions.length ? "[vmain]" : "[vout]";
  // Timestamps from the frame count: every interval has its exact number of frames, but concat chains their
  // durations and gives a one-frame interval none, so the encoder's constant rate dropped a frame there and
  // everything after it played a frame early.
  const join = segment.intervals.length > 1 ? `concat=n=${segment.intervals.length}:v=1:a=0` : "null";
  graph.push(`${parts}${join},setpts=N/(${fps}*TB)${composite}`);
  const outputs = [{ label: "[vout]", settings: h264Settings(plan, hlsLadder[0]!), path: options.outputPath }];
  if (renditions.length) {
    // The composited frames once, then a scaled copy per rendition: one composite, several encodes.
    graph.push(`[vmain]split=${renditions.length + 1}[vout]${renditions.map((_, k) => `[r${k}in]`).join("")}`);
    renditions.forEach(({ rung, path }, k) => {
      graph.push(`[r${k}in]scale=${rung.width}:${rung.height},setsar=1[r${k}]`);
      const settings = rung.name === webmRung.name ? vp8Settings(plan, rung) : h264Settings(plan, rung);
      outputs.push({ label: `[r${k}]`, settings, path });
    });
  }
  return [
    ...quietOverwrite,
    ...inputs,
    "-filter_complex",
    graph.join(";"),
    ...outputs.flatMap((o) => ["-map", o.label, "-an", ...o.settings, "-frames:v", String(segment.frames), o.path]),
  ];
}

/**
 * An audio file read whole, from its first packet: the stretch is cut in the graph (`pieceStretch`). Its span
 * starts at its first packet, but an Ogg Opus file declares a pre-skip (the recorder's writer says 80 ms) that
 * the decoder would discard as encoder priming, and `-ss` trimmed as much again: a stretch started 160 ms into
 * its file, so its sound played 160 ms early. `skip_manual` keeps those samples.
 */
function audioInput(stretch: PieceStretch, inputPathOf: (fileKey: string) => string): string[] {
  return ["-flags2", "+skip_manual", "-f", demuxerOf[stretch.container], "-i", inputPathOf(stretch.fileKey)];
}

/**
 * Mono: meeting audio is a mix of mono microphones, so a second channel adds nothing and doubles the encoders' work.
 */
const monoFloat = `aformat=sample_fmts=fltp:channel_layouts=mono`;
const silence = (samples: number) => `anullsrc=r=${audioSampleRate}:cl=mono,${monoFloat},atrim=end_sample=${samples}`;

/** One stretch: its file's first sample at 0, cut at the stretch's offset in whole samples, exactly `samples` long. */
const pieceStretch = (s: PieceStretch, k: number): string =>
  `[${k}:a]asetpts=PTS-STARTPTS,aresample=${audioSampleRate},${monoFloat},` +
  `atrim=start_sample=${s.fileOffsetSamples}:end_sample=${s.fileOffsetSamples + s.samples},asetpts=PTS-STARTPTS,` +
  `apad,atrim=end_sample=${s.samples}`;

/**
 * One track's stretches joined in order, with silence where the track has none: one continuous stream per track.
 * (Delaying each stretch to its place and mixing them all instead made every stretch a stream as long as the mix:
 * the work grew with stretches × length.)
 */
function trackChain(track: readonly { stretch: PieceStretch; k: number }[], label: string): string {
  const parts: string[] = [];
  const labels: string[] = [];
  let cursor = 0;
  for (const { stretch, k } of track) {
    if (stretch.atSample > cursor) {
      parts.push(`${silence(stretch.atSample - cursor)}[${label}g${k}]`);
      labels.push(`[${label}g${k}]`);
    }
    parts.push(`${pieceStretch(stretch, k)}[${label}p${k}]`);
    labels.push(`[${label}p${k}]`);
    cursor = stretch.atSample + stretch.samples;
  }
  const join = labels.length > 1 ? `${labels.join("")}concat=n=${labels.length}:v=0:a=1` : `${labels[0]}anull`;
  return [...parts, `${join}[${label}]`].join(";");
}

export interface SegmentAudioCommandOptions {
  inputPathOf: (fileKey: string) => string;
  /** The lossless piece (FLAC): the assembly joins the pieces sample-exactly and encodes them once. */
  outputPath: string;
}

/** One segment's audio: each track as one stream, the tracks mixed, exactly the segment's samples, as FLAC. */
export function segmentAudioCommand(audio: SegmentAudio, options: SegmentAudioCommandOptions): string[] {
  const inputs: string[] = [];
  const graph: string[] = [];
  let k = 0;
  audio.tracks.forEach((track, i) => {
    const numbered = track.stretches.map((stretch) => ({ stretch, k: k++ }));
    inputs.push(...numbered.flatMap(({ stretch }) => audioInput(stretch, options.inputPathOf)));
    graph.push(trackChain(numbered, `t${i}`));
  });
  // Speech rarely overlaps at full scale: unnormalised mixing keeps each voice at its level (amix would divide it).
  const mixed = audio.tracks.length
    ? `${audio.tracks.map((_, i) => `[t${i}]`).join("")}amix=inputs=${audio.tracks.length}:duration=longest:normalize=0,apad,atrim=end_sample=${audio.samples}`
    : silence(audio.samples);
  graph.push(`${mixed}[mix]`);
  return [...quietOverwrite, ...inputs, "-filter_complex", graph.join(";"), "-map", "[mix]", "-c:a", "flac", options.outputPath];
}

// The list may name presigned HTTPS URLs: the segments and the audio pieces are read from S3 as they are joined,
// never held on disk.
const concatInput = (listPath: string) => [
  "-f",
  "concat",
  "-safe",
  "0",
  "-protocol_whitelist",
  "file,http,https,tcp,tls,crypto",
  "-i",
  listPath,
];

/**
 * The recording's audio encoded once, whole: the segments' lossless pieces (a concat list, in order) joined
 * sample-exactly, mono. Each encode is its own process whose stream goes to its join's stdin, so the encoder and
 * the join's copying run on two cores side by side (ffmpeg 5's pipeline is one thread).
 */
const joinedPieces = (audioListPath: string) => [...quietOverwrite, ...concatInput(audioListPath), "-map", "0:a", "-ac", "1"];

/** ffmpeg's tee syntax gives `|`, `[`, `]` and `\` meaning in a target: workspace paths never hold them. */
function teeTarget(path: string): string {
  if (/[|[\]\\]/.test(path)) throw new Error(`the path ${path} can't be a tee target`);
  return path;
}

/**
 * AAC as ADTS on stdout for the MP4's join, and the same packets into an audio-only MP4 at `aacPath` for the HLS
 * audio rendition. The fast coder: about half of twoloop's CPU (bench/recording-composite.ts).
 */
export function aacEncodeCommand(options: { audioListPath: string; aacPath: string }): string[] {
  return [
    ...joinedPieces(options.audioListPath),
    ...["-c:a", "aac", "-aac_coder", "fast", "-b:a", "96k", "-flags:a", "+global_header"],
    ...["-f", "tee", `[f=adts]pipe\\:1|[f=mp4]${teeTarget(options.aacPath)}`],
  ];
}

/** Opus in Ogg on stdout for the WebM's join (the Ogg carries the encoder's pre-skip). */
export function opusEncodeCommand(options: { audioListPath: string }): string[] {
  return [...joinedPieces(options.audioListPath), "-c:a", "libopus", "-b:a", "64k", "-f", "ogg", "pipe:1"];
}

/**
 * The AAC encoder's priming (ffmpeg's encoder delays its output by one frame). ADTS carries no timestamps, so the
 * MP4's join places the stream that much before the video, and the MP4's edit list then hides it.
 */
export const aacPrimingSamples = 1024;

/**
 * The encoder's output on stdin. ffmpeg reads each input in its own thread into a queue of 8 packets by default, and
 * sleeps 10 ms whenever the one it needs is empty: a join copying far faster than its encoder stalled both (60 min
 * of Opus into a WebM: 157 s for an encode that alone takes 32 s). A deep queue reads ahead, and it takes 32 s.
 */
const encodedAudioInput = (demuxer: "aac" | "ogg") => ["-thread_queue_size", "4096", "-f", demuxer, "-i", "pipe:0"];

export interface FileJoinOptions {
  /** The concat demuxer list of the rendition's video segments (presigned URLs, or local paths). */
  videoListPath: string;
  durationSeconds: number;
}

/**
 * The MP4 rendition as a fragmented MP4 on stdout (a fragment per keyframe; moov after the first fragment is cut,
 * so it carries the priming's edit list; no trailer, which would point at offsets the index moves): the segments
 * copied, the AAC read from stdin (`aacEncodeCommand`'s output).
 */
export function mp4JoinCommand(options: FileJoinOptions): string[] {
  return [
    ...quietOverwrite,
    ...concatInput(options.videoListPath),
    ...["-itsoffset", `-${seconds(aacPrimingSamples / audioSampleRate)}`, ...encodedAudioInput("aac")],
    ...["-map", "0:v", "-map", "1:a", "-c", "copy", "-bsf:a", "aac_adtstoasc", "-t", seconds(options.durationSeconds)],
    ...["-movflags", "+frag_keyframe+delay_moov+default_base_moof+skip_trailer", "-f", "mp4", "pipe:1"],
  ];
}

/** The WebM rendition into a file: its 720p VP8 segments copied, the Opus read from stdin (`opusEncodeCommand`). */
export function webmJoinCommand(options: FileJoinOptions & { outputPath: string }): string[] {
  return [
    ...quietOverwrite,
    ...concatInput(options.videoListPath),
    ...encodedAudioInput("ogg"),
    ...["-map", "0:v", "-map", "1:a", "-c", "copy", "-t", seconds(options.durationSeconds)],
    options.outputPath,
  ];
}

export interface HlsCutOptions {
  /** One input with one stream (a rung's video, or the AAC audio), copied. */
  inputPath: string;
  /** Where its first timestamp lands on the HLS timeline (seconds). */
  offsetSeconds: number;
  /** ffmpeg's pattern for the media segments' paths, e.g. `/tmp/x/00003-ab12cd34-%03d.ts`. */
  segmentPathPattern: string;
  /** ffmpeg's own media playlist: its durations are what was cut. */
  playlistPath: string;
}

/** A stream cut into MPEG-TS media segments on its keyframes (copied, never re-encoded): 6 s, three GOPs each. */
export function hlsCutCommand(options: HlsCutOptions): string[] {
  return [
    ...quietOverwrite,
    ...["-i", options.inputPath, "-c", "copy", "-output_ts_offset", seconds(options.offsetSeconds)],
    ...["-f", "hls", "-hls_time", String(hlsSegmentSeconds), "-hls_playlist_type", "vod", "-hls_list_size", "0"],
    ...["-hls_segment_filename", options.segmentPathPattern, options.playlistPath],
  ];
}

/** One still of the composite at an output time. */
export function thumbnailCommand(inputPath: string, atMs: number, outputPath: string): string[] {
  return [
    ...quietOverwrite,
    ...["-ss", seconds(atMs / 1000), "-i", inputPath, "-frames:v", "1"],
    ...["-vf", `scale=${thumbnailSize.width}:${thumbnailSize.height},setsar=1`, "-q:v", "3", outputPath],
  ];
}
