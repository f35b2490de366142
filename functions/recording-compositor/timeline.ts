import type { RecordingManifest, RecordingTrack } from "../../protocol/recording-manifest.ts";

/**
 * A manifest → the composited timeline in output time: paused spans are cut out, so output ms 0 is the
 * recording's start and every pause shortens what follows. Each interval holds one unchanging set of tiles and
 * sounds, and each of those is read from one file at a known offset, contiguous for the whole interval.
 */

/** One track's media for an interval: which file, and where in it the interval starts (ms into the file). */
export interface TrackPiece {
  trackId: string;
  participant: string;
  source: RecordingTrack["source"];
  container: RecordingTrack["container"];
  fileKey: string;
  inputOffsetMs: number;
}

export interface TimelineInterval {
  /** Output time, half-open [startMs, endMs). */
  startMs: number;
  endMs: number;
  /** Wall-clock time the interval starts at (the recorder's clock). */
  wallStartMs: number;
  video: TrackPiece[];
  audio: TrackPiece[];
  /** The active speaker (speaker layout), or null. */
  speaker: string | null;
}

export interface OmittedTrack {
  trackId: string;
  participant: string;
  reason: "unusable";
}

export interface Timeline {
  durationMs: number;
  intervals: TimelineInterval[];
  /** Tracks left out of the composite, for the recording's status. */
  omitted: OmittedTrack[];
  /** Display names by identity, for the tiles. */
  names: Record<string, string>;
}

/** Unpaused wall spans of the recording, in order. */
function capturedSpans(m: RecordingManifest): { from: number; to: number }[] {
  const spans: { from: number; to: number }[] = [];
  let at = m.startedAt;
  for (const p of [...m.paused].sort((a, b) => a.from - b.from)) {
    if (p.from > at) spans.push({ from: at, to: p.from });
    at = Math.max(at, p.to);
  }
  if (m.endedAt > at) spans.push({ from: at, to: m.endedAt });
  return spans;
}

function pieceAt(track: RecordingTrack, wallMs: number): TrackPiece | null {
  const file = track.files.find((f) => f.startedAt <= wallMs && wallMs < f.endedAt);
  if (!file) return null;
  return {
    trackId: track.id,
    participant: track.participant,
    source: track.source,
    container: track.container,
    fileKey: file.key,
    inputOffsetMs: wallMs - file.startedAt,
  };
}

const sameContent = (a: TimelineInterval, b: TimelineInterval): boolean =>
  a.speaker === b.speaker &&
  a.video.length === b.video.length &&
  a.audio.length === b.audio.length &&
  a.video.every((p, i) => p.trackId === b.video[i]!.trackId && p.fileKey === b.video[i]!.fileKey) &&
  a.audio.every((p, i) => p.trackId === b.audio[i]!.trackId && p.fileKey === b.audio[i]!.fileKey);

export function buildTimeline(manifest: RecordingManifest, unusableTrackIds: readonly string[] = []): Timeline {
  const unusable = new Set(unusableTrackIds);
  const included = new Set(manifest.participants.filter((p) => !p.excluded).map((p) => p.identity as string));
  const omitted: OmittedTrack[] = manifest.tracks
    .filter((t) => unusable.has(t.id))
    .map((t) => ({ trackId: t.id, participant: t.participant, reason: "unusable" as const }));
  // Tiles keep the order tracks first appear in (ties: manifest order), so the grid does not reshuffle on re-flow.
  const tracks = manifest.tracks
    .filter((t) => !unusable.has(t.id) && included.has(t.participant))
    .map((t, order) => ({ t, order }))
    .sort((a, b) => a.t.files[0]!.startedAt - b.t.files[0]!.startedAt || a.order - b.order)
    .map(({ t }) => t);
  const speakerSpans = manifest.output.layout === "speaker" ? manifest.speakers.filter((s) => included.has(s.participant)) : [];

  const intervals: TimelineInterval[] = [];
  let outAt = 0;
  for (const captured of capturedSpans(manifest)) {
    const cuts = new Set([captured.from, captured.to]);
    const cut = (ms: number) => {
      if (ms > captured.from && ms < captured.to) cuts.add(ms);
    };
    for (const t of tracks) for (const f of t.files) for (const ms of [f.startedAt, f.endedAt]) cut(ms);
    for (const s of speakerSpans) for (const ms of [s.from, s.to]) cut(ms);
    const points = [...cuts].sort((a, b) => a - b);
    for (let i = 0; i + 1 < points.length; i++) {
      const from = points[i]!;
      const to = points[i + 1]!;
      const pieces = tracks.map((t) => ({ kind: t.kind, piece: pieceAt(t, from) })).filter((x) => x.piece !== null);
      const speaking = speakerSpans.find((s) => s.from <= from && from < s.to)?.participant ?? null;
      const interval: TimelineInterval = {
        startMs: outAt,
        endMs: outAt + (to - from),
        wallStartMs: from,
        video: pieces.filter((x) => x.kind === "video").map((x) => x.piece!),
        audio: pieces.filter((x) => x.kind === "audio").map((x) => x.piece!),
        speaker: speaking,
      };
      const previous = intervals.at(-1);
      // Merge only where the wall clock runs on (not across a pause): each piece then stays contiguous in its file.
      if (previous && previous.wallStartMs + (previous.endMs - previous.startMs) === from && sameContent(previous, interval)) {
        previous.endMs = interval.endMs;
      } else {
        intervals.push(interval);
      }
      outAt += to - from;
    }
  }
  const names = Object.fromEntries(manifest.participants.filter((p) => !p.excluded).map((p) => [p.identity, p.name]));
  return { durationMs: outAt, intervals, omitted, names };
}

/** Output ms → wall-clock ms (the inverse of cutting the pauses), for tests and for the status's captions. */
export function wallTimeOf(timeline: Timeline, outputMs: number): number | null {
  const i = timeline.intervals.find((x) => x.startMs <= outputMs && outputMs < x.endMs);
  return i ? i.wallStartMs + (outputMs - i.startMs) : null;
}
