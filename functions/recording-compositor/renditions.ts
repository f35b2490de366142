import { recordingPrefix } from "../../protocol/recording-composition.ts";
import type { Segment } from "./segment-plan.ts";

/**
 * What a recording is delivered as, and where each piece lives in S3. Every video rendition is encoded by the
 * segment invocations, in parallel, from the composited frames they already hold (one decode, one composite, several
 * encodes); the assembly only concatenates by copying and muxes the audio it encodes once. So the ready time of a
 * long meeting stays about one segment's time plus copying, whatever the number of renditions.
 */

export interface VideoRung {
  name: string;
  width: number;
  height: number;
  /** The encoder's rate cap: the HLS variant's bandwidth stays predictable on a busy frame. */
  maxrateKbps: number;
}

/** The seed's HLS ladder; the first rung is the composite itself (the MP4 and the 1080p variant share its segments). */
export const hlsLadder: readonly VideoRung[] = [
  { name: "1080p", width: 1920, height: 1080, maxrateKbps: 5000 },
  { name: "720p", width: 1280, height: 720, maxrateKbps: 2800 },
  { name: "480p", width: 854, height: 480, maxrateKbps: 1200 },
  { name: "240p", width: 426, height: 240, maxrateKbps: 400 },
];

/** WebM (VP8 + Opus) for players without H.264: 720p, since VP8 at 1080p costs as much again as the whole ladder. */
export const webmRung: VideoRung = { name: "webm", width: 1280, height: 720, maxrateKbps: 2000 };

/** Keyframe spacing of every video output: HLS cuts and players seek on these (the segment's first frame is one too). */
export const gopSeconds = 2;
/** HLS media segment target: three GOPs. */
export const hlsSegmentSeconds = 6;

export const thumbnailSize = { width: 480, height: 270 } as const;
export const maxThumbnails = 5;

/** A segment's object for a rendition: the composite's own key for the first rung, a suffix for the others. */
export function segmentRenditionKey(segment: Pick<Segment, "key">, rung: VideoRung): string {
  if (rung.name === webmRung.name) return segment.key.replace(/\.mp4$/, ".webm");
  if (rung.name === hlsLadder[0]!.name) return segment.key;
  return segment.key.replace(/\.mp4$/, `-${rung.name}.mp4`);
}

export interface OutputKeys {
  mp4: string;
  webm: string;
  hlsMaster: string;
  hlsDir: (rung: VideoRung) => string;
  thumbnail: (n: number) => string;
}

export function outputKeys(tenantId: string, recordingId: string): OutputKeys {
  const prefix = recordingPrefix(tenantId, recordingId);
  return {
    mp4: `${prefix}composite.mp4`,
    webm: `${prefix}composite.webm`,
    hlsMaster: `${prefix}hls/master.m3u8`,
    hlsDir: (rung) => `${prefix}hls/${rung.name}/`,
    thumbnail: (n) => `${prefix}thumbnails/${String(n).padStart(2, "0")}.jpg`,
  };
}

/** Where the stills are taken: evenly inside the recording, never on its first or last frame. */
export function thumbnailTimes(durationMs: number, count = maxThumbnails): number[] {
  if (durationMs <= 0) return [];
  const n = Math.max(1, Math.min(count, Math.floor(durationMs / 1000)));
  return Array.from({ length: n }, (_, i) => Math.round((durationMs * (i + 1)) / (n + 1)));
}

/** RFC 6381 codec string of an H.264 stream from its profile name and level (as ffprobe prints them). */
export function avcCodecString(profile: string, level: number): string {
  const idc: Record<string, [number, number]> = {
    "Constrained Baseline": [66, 0x40],
    Baseline: [66, 0],
    Main: [77, 0],
    High: [100, 0],
  };
  const [p, constraints] = idc[profile] ?? [100, 0];
  const hex = (v: number) => v.toString(16).padStart(2, "0");
  return `avc1.${hex(p)}${hex(constraints)}${hex(level)}`;
}

export interface HlsVariant {
  rung: VideoRung;
  /** Relative to the master playlist. */
  uri: string;
  peakBandwidth: number;
  averageBandwidth: number;
  codecs: string;
}

/** The audio every variant plays: one rendition group, its own media playlist (relative to the master). */
export interface HlsAudio {
  groupId: string;
  name: string;
  uri: string;
}

/**
 * The master playlist, highest rung first. With `audio`, the variants are video only and name the group; their
 * BANDWIDTH must already include the audio's, as a player adds nothing.
 */
export function masterPlaylist(variants: readonly HlsVariant[], audio?: HlsAudio): string {
  const lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-INDEPENDENT-SEGMENTS"];
  if (audio)
    lines.push(
      `#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="${audio.groupId}",NAME="${audio.name}",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="${audio.uri}"`,
    );
  for (const v of variants) {
    lines.push(
      `#EXT-X-STREAM-INF:BANDWIDTH=${v.peakBandwidth},AVERAGE-BANDWIDTH=${v.averageBandwidth},RESOLUTION=${v.rung.width}x${v.rung.height},FRAME-RATE=30.000,CODECS="${v.codecs}"${audio ? `,AUDIO="${audio.groupId}"` : ""}`,
      v.uri,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** A variant playlist's media segments: URI and duration, in order. */
export function playlistSegments(playlist: string): { uri: string; seconds: number }[] {
  const out: { uri: string; seconds: number }[] = [];
  let duration: number | null = null;
  for (const raw of playlist.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("#EXTINF:")) duration = Number.parseFloat(line.slice(8));
    else if (line && !line.startsWith("#") && duration !== null) {
      out.push({ uri: line, seconds: duration });
      duration = null;
    }
  }
  return out;
}

/** Peak and average bits per second over a variant's segments (the peak is what BANDWIDTH must state). */
export function variantBandwidth(segments: readonly { seconds: number; bytes: number }[]): { peak: number; average: number } {
  const total = segments.reduce((a, s) => ({ bytes: a.bytes + s.bytes, seconds: a.seconds + s.seconds }), { bytes: 0, seconds: 0 });
  const peak = Math.max(0, ...segments.filter((s) => s.seconds > 0).map((s) => (s.bytes * 8) / s.seconds));
  return { peak: Math.ceil(peak), average: total.seconds > 0 ? Math.ceil((total.bytes * 8) / total.seconds) : 0 };
}
