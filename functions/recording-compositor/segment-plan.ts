import { recordingPrefix } from "../../protocol/recording-composition.ts";
import type { RecordingManifest } from "../../protocol/recording-manifest.ts";
import { type SegmentAudio, samplesPerFrame, segmentAudio, trackStretches } from "./audio-plan.ts";
import type { Timeline, TrackPiece } from "./timeline.ts";

/**
 * The timeline cut into segments that separate invocations composite in parallel, each starting on a frame
 * boundary with a keyframe (closed GOP), so the assembly joins them by copying. A layout change inside a segment
 * is fine: the segment lists every interval it spans. Keys are derived from the manifest and the segment's own
 * content only, so a retried invocation writes the same object and a changed plan never reuses a stale one.
 */

export const defaultSegmentSeconds = 60;
/** Bumped when a plan's meaning changes, so objects made by an older plan are never taken for this one's. */
const planVersion = 3;

export interface SegmentPiece extends TrackPiece {
  /** Seconds into the file this piece starts at (≥ 0). */
  inputOffsetSeconds: number;
}

export interface SegmentInterval {
  /** Frames from the segment's start. */
  startFrame: number;
  frames: number;
  video: SegmentPiece[];
  speaker: string | null;
}

export interface Segment {
  index: number;
  id: string;
  key: string;
  /** The first output frame and how many: the segment's span is [startFrame, startFrame + frames). */
  startFrame: number;
  frames: number;
  intervals: SegmentInterval[];
  /** The audio this segment mixes into its piece: exactly `frames` × samples-per-frame. */
  audio: SegmentAudio;
}

export interface RecordingPlan {
  fps: number;
  totalFrames: number;
  /** Frames per full segment, and the GOP length: a keyframe at each segment's first frame. */
  segmentFrames: number;
  segments: Segment[];
  /** Where the assembled MP4 goes. */
  outputKey: string;
}

/** FNV-1a, 32 bits, hex: a content tag for keys (not security), with no runtime crypto in a pure module. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, "0");
}

/** Output ms → the frame shown from then on (a boundary rounds to the nearest frame). */
const frameAt = (ms: number, fps: number): number => Math.round((ms * fps) / 1000);

export function planSegments(manifest: RecordingManifest, timeline: Timeline, segmentSeconds = defaultSegmentSeconds): RecordingPlan {
  const { fps } = manifest.output;
  const segmentFrames = Math.max(1, Math.round(segmentSeconds * fps));
  const totalFrames = frameAt(timeline.durationMs, fps);
  // The timeline in frames: an interval shorter than half a frame shows in no frame and is dropped.
  const framed = timeline.intervals
    .map((interval) => ({ interval, from: frameAt(interval.startMs, fps), to: frameAt(interval.endMs, fps) }))
    .filter((x) => x.to > x.from);
  const prefix = recordingPrefix(manifest.tenantId, manifest.recordingId);
  const stretches = trackStretches(timeline);
  const perFrame = samplesPerFrame(fps);
  const segments: Segment[] = [];
  for (let index = 0; index * segmentFrames < totalFrames; index++) {
    const startFrame = index * segmentFrames;
    const frames = Math.min(segmentFrames, totalFrames - startFrame);
    const intervals: SegmentInterval[] = framed
      .filter((x) => x.from < startFrame + frames && x.to > startFrame)
      .map(({ interval, from, to }) => {
        const first = Math.max(from, startFrame);
        const intoMs = (first * 1000) / fps - interval.startMs;
        return {
          startFrame: first - startFrame,
          frames: Math.min(to, startFrame + frames) - first,
          video: interval.video.map((p) => ({ ...p, inputOffsetSeconds: Math.max(0, p.inputOffsetMs + intoMs) / 1000 })),
          speaker: interval.speaker,
        };
      });
    const audio = segmentAudio(stretches, startFrame * perFrame, frames * perFrame);
    const tag = fnv1a(JSON.stringify({ planVersion, fps, segmentFrames, startFrame, frames, intervals, audio, names: timeline.names }));
    const id = `${String(index).padStart(5, "0")}-${tag}`;
    segments.push({ index, id, key: `${prefix}segments/${id}.mp4`, startFrame, frames, intervals, audio });
  }
  return { fps, totalFrames, segmentFrames, segments, outputKey: `${prefix}composite.mp4` };
}

/** ffmpeg's concat demuxer script joining the segments in order (`-f concat -safe 0 -i list`), by local path. */
export function assemblyConcatList(plan: RecordingPlan, localPathOf: (segment: Segment) => string): string {
  const quote = (path: string) => `'${path.replaceAll("'", "'\\''")}'`;
  return `ffconcat version 1.0\n${plan.segments.map((s) => `file ${quote(localPathOf(s))}\n`).join("")}`;
}
