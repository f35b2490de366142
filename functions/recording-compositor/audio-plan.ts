import type { Timeline, TrackPiece } from "./timeline.ts";

/**
 * The recording's audio in whole samples, cut at the segments' frame boundaries: each segment invocation mixes
 * its own span into a lossless piece of exactly its frames × samples-per-frame, and the assembly joins the pieces
 * and encodes them once, whole. Every position is a whole sample from the recording's start, so the pieces of
 * consecutive segments abut sample-exactly over any number of segments.
 */

/** The mix's sample rate: 48 samples per millisecond, so every millisecond boundary is a whole sample. */
export const audioSampleRate = 48_000;

/** Samples per video frame (1600 at 30 fps): a segment's audio is exactly as long as its frames. */
export function samplesPerFrame(fps: number): number {
  const samples = audioSampleRate / fps;
  if (!Number.isInteger(samples)) throw new Error(`${fps} fps does not divide ${audioSampleRate} Hz into whole samples`);
  return samples;
}

const samplesAt = (ms: number): number => Math.round((ms * audioSampleRate) / 1000);

/** One stretch of one audio file in output samples: [startSample, endSample) of the recording. */
export interface TrackStretch {
  trackId: string;
  container: TrackPiece["container"];
  fileKey: string;
  /** The file's sample (counted from its first packet, pre-skip kept) at startSample. */
  fileOffsetSamples: number;
  startSample: number;
  endSample: number;
}

/**
 * Each audio track's stretches over the whole recording, in output order per track: merged where one file plays
 * on across intervals (split only by a pause or a new file), and never overlapping the track's previous stretch.
 */
export function trackStretches(timeline: Timeline): TrackStretch[] {
  const merged: { piece: TrackPiece; outputStartMs: number; durationMs: number }[] = [];
  let open = new Map<string, (typeof merged)[number]>();
  for (const interval of timeline.intervals) {
    const length = interval.endMs - interval.startMs;
    const next = new Map<string, (typeof merged)[number]>();
    for (const p of interval.audio) {
      const running = open.get(p.trackId);
      if (
        running &&
        running.piece.fileKey === p.fileKey &&
        running.piece.inputOffsetMs + running.durationMs === p.inputOffsetMs &&
        running.outputStartMs + running.durationMs === interval.startMs
      ) {
        running.durationMs += length;
        next.set(p.trackId, running);
      } else {
        const stretch = { piece: p, outputStartMs: interval.startMs, durationMs: length };
        merged.push(stretch);
        next.set(p.trackId, stretch);
      }
    }
    open = next;
  }
  const cursor = new Map<string, number>();
  const stretches: TrackStretch[] = [];
  for (const { piece, outputStartMs, durationMs } of merged) {
    const start = samplesAt(outputStartMs);
    const end = samplesAt(outputStartMs + durationMs);
    // Rounding to samples may make a stretch touch its track's previous one: the later one starts after it.
    const from = Math.max(start, cursor.get(piece.trackId) ?? 0);
    if (end <= from) continue;
    stretches.push({
      trackId: piece.trackId,
      container: piece.container,
      fileKey: piece.fileKey,
      fileOffsetSamples: samplesAt(piece.inputOffsetMs) + (from - start),
      startSample: from,
      endSample: end,
    });
    cursor.set(piece.trackId, end);
  }
  return stretches;
}

/** One stretch inside a segment's piece: `samples` of its file from `fileOffsetSamples`, placed at `atSample`. */
export interface PieceStretch {
  container: TrackPiece["container"];
  fileKey: string;
  fileOffsetSamples: number;
  /** Samples from the segment's first. */
  atSample: number;
  samples: number;
}

/** What one segment mixes: each track's stretches inside its span, and its exact length in samples. */
export interface SegmentAudio {
  samples: number;
  tracks: { trackId: string; stretches: PieceStretch[] }[];
}

/**
 * The stretches overlapping [fromSample, fromSample + samples), clipped to it: a stretch that straddles a cut is
 * read from its file's start in both segments and trimmed in whole samples, so nothing is heard twice or lost.
 */
export function segmentAudio(stretches: readonly TrackStretch[], fromSample: number, samples: number): SegmentAudio {
  const to = fromSample + samples;
  const tracks = new Map<string, PieceStretch[]>();
  for (const s of stretches) {
    const start = Math.max(s.startSample, fromSample);
    const end = Math.min(s.endSample, to);
    if (end <= start) continue;
    const own = tracks.get(s.trackId) ?? [];
    own.push({
      container: s.container,
      fileKey: s.fileKey,
      fileOffsetSamples: s.fileOffsetSamples + (start - s.startSample),
      atSample: start - fromSample,
      samples: end - start,
    });
    tracks.set(s.trackId, own);
  }
  return { samples, tracks: [...tracks].map(([trackId, own]) => ({ trackId, stretches: own.sort((a, b) => a.atSample - b.atSample) })) };
}

/** The files a segment's audio reads: only these are downloaded by that segment. */
export const segmentAudioFiles = (audio: SegmentAudio): string[] => [
  ...new Set(audio.tracks.flatMap((t) => t.stretches.map((s) => s.fileKey))),
];

/** A segment's lossless audio piece: beside its composite, named by the same content-addressed id. */
export const segmentAudioKey = (segment: { key: string }): string => segment.key.replace(/\.mp4$/, ".audio.flac");
