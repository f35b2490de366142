import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { samplesPerFrame, segmentAudio, segmentAudioFiles, segmentAudioKey, trackStretches } from "./audio-plan.ts";
import { planSegments } from "./segment-plan.ts";
import { buildTimeline } from "./timeline.ts";
import { fixtureManifest, fixtureTrack, type Span } from "./manifest-fixture.ts";

const mic = (id: string, participant: string, files: Span[]) => fixtureTrack(id, participant, "audio", files);
const manifest = fixtureManifest;

describe("the audio plan", () => {
  it("one stretch per file, split only by a pause, in whole samples from the recording's start", () => {
    const m = manifest(60_000, [mic("mic", "ada", [[0, 60_000]])], [[30_000, 35_000]]);
    expect(trackStretches(buildTimeline(m))).toEqual([
      { trackId: "mic", container: "ogg", fileKey: "r/mic-0", fileOffsetSamples: 0, startSample: 0, endSample: 1_440_000 },
      { trackId: "mic", container: "ogg", fileKey: "r/mic-0", fileOffsetSamples: 1_680_000, startSample: 1_440_000, endSample: 2_640_000 },
    ]);
  });

  it("a stretch straddling a cut is read on, in whole samples, by the next segment; only the files a segment hears are its", () => {
    const m = manifest(25_000, [
      mic("mic", "ada", [
        [0, 10_000],
        [10_000, 25_000],
      ]),
    ]);
    const p = planSegments(m, buildTimeline(m), 12);
    expect(p.segments.map((s) => s.audio)).toEqual([
      {
        samples: 576_000,
        tracks: [
          {
            trackId: "mic",
            stretches: [
              { container: "ogg", fileKey: "r/mic-0", fileOffsetSamples: 0, atSample: 0, samples: 480_000 },
              { container: "ogg", fileKey: "r/mic-1", fileOffsetSamples: 0, atSample: 480_000, samples: 96_000 },
            ],
          },
        ],
      },
      {
        samples: 576_000,
        tracks: [
          {
            trackId: "mic",
            stretches: [{ container: "ogg", fileKey: "r/mic-1", fileOffsetSamples: 96_000, atSample: 0, samples: 576_000 }],
          },
        ],
      },
      {
        samples: 48_000,
        tracks: [
          {
            trackId: "mic",
            stretches: [{ container: "ogg", fileKey: "r/mic-1", fileOffsetSamples: 672_000, atSample: 0, samples: 48_000 }],
          },
        ],
      },
    ]);
    expect(p.segments.map((s) => segmentAudioFiles(s.audio))).toEqual([["r/mic-0", "r/mic-1"], ["r/mic-1"], ["r/mic-1"]]);
    expect(segmentAudioKey(p.segments[1]!)).toBe(p.segments[1]!.key.replace(/\.mp4$/, ".audio.flac"));
  });

  it("a segment nobody speaks in is silence of its length; a frame rate that splits no sample evenly is refused", () => {
    expect(segmentAudio([], 0, 1600)).toEqual({ samples: 1600, tracks: [] });
    expect(samplesPerFrame(30)).toBe(1600);
    expect(() => samplesPerFrame(7)).toThrow(/whole samples/);
  });

  it("property: the pieces cover every heard sample exactly once, read each file on without a gap, and add up to the recording", () => {
    const spanArb = fc
      .tuple(fc.integer({ min: 0, max: 19_999 }), fc.integer({ min: 1, max: 20_000 }))
      .map(([a, b]) => [a, Math.min(20_000, a + b)] as [number, number]);
    fc.assert(
      fc.property(
        fc.array(fc.array(spanArb, { minLength: 1, maxLength: 3 }), { minLength: 0, maxLength: 3 }),
        fc.option(spanArb),
        fc.integer({ min: 1, max: 9 }),
        (tracks, pause, seconds) => {
          // A track's files in order, never overlapping (the recorder writes one file per track at a time).
          const files = tracks.map((spans) => {
            const sorted = [...spans].sort((a, b) => a[0] - b[0]);
            const out: [number, number][] = [];
            for (const [a, b] of sorted) if (!out.length || a >= out.at(-1)![1]) out.push([a, b]);
            return out;
          });
          const m = manifest(
            20_000,
            files.map((f, i) => mic(`m${i}`, i % 2 ? "bob" : "ada", f)),
            pause ? [pause] : [],
          );
          const timeline = buildTimeline(m);
          const p = planSegments(m, timeline, seconds);
          const perFrame = samplesPerFrame(p.fps);
          expect(p.segments.reduce((sum, s) => sum + s.audio.samples, 0)).toBe(p.totalFrames * perFrame);
          const total = p.totalFrames * perFrame;
          // Every stretch of the whole recording, clipped to its length, is heard once: per track, the segments'
          // pieces (in recording samples) are exactly those stretches, cut at the segment boundaries.
          const stretches = trackStretches(timeline);
          for (const trackId of new Set(stretches.map((s) => s.trackId))) {
            const whole = stretches.filter((s) => s.trackId === trackId);
            const heard: { fileKey: string; fileOffsetSamples: number; from: number; to: number }[] = [];
            for (const s of p.segments) {
              const base = s.startFrame * perFrame;
              let end = 0;
              for (const piece of s.audio.tracks.find((t) => t.trackId === trackId)?.stretches ?? []) {
                expect(piece.atSample).toBeGreaterThanOrEqual(end);
                end = piece.atSample + piece.samples;
                expect(end).toBeLessThanOrEqual(s.audio.samples);
                const from = base + piece.atSample;
                const last = heard.at(-1);
                // Joined back where a cut split one stretch: the file reads on from the very next sample.
                if (
                  last &&
                  last.to === from &&
                  last.fileKey === piece.fileKey &&
                  last.fileOffsetSamples + (last.to - last.from) === piece.fileOffsetSamples
                )
                  last.to += piece.samples;
                else heard.push({ fileKey: piece.fileKey, fileOffsetSamples: piece.fileOffsetSamples, from, to: from + piece.samples });
              }
            }
            const expected = whole
              .filter((s) => s.startSample < total)
              .map((s) => ({
                fileKey: s.fileKey,
                fileOffsetSamples: s.fileOffsetSamples,
                from: s.startSample,
                to: Math.min(s.endSample, total),
              }));
            expect(heard).toEqual(expected);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
