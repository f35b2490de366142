import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RecordingManifest } from "../../protocol/recording-manifest.ts";
import { assemblyConcatList, planSegments } from "./segment-plan.ts";
import { buildTimeline } from "./timeline.ts";
import { fixtureManifest, fixtureTrack } from "./manifest-fixture.ts";

const track = fixtureTrack;
const manifest = fixtureManifest;
const plan = (m: RecordingManifest, seconds?: number) => planSegments(m, buildTimeline(m), seconds);

describe("the segment plan", () => {
  it("cuts 150 s into 60 s segments on frame boundaries; a layout change inside a segment is kept as two intervals", () => {
    const m = manifest(150_000, [track("ada", "ada", "video", [[0, 150_000]]), track("bob", "bob", "video", [[70_000, 150_000]])]);
    const p = plan(m);
    expect(p.totalFrames).toBe(4500);
    expect(p.segments.map((s) => [s.startFrame, s.frames])).toEqual([
      [0, 1800],
      [1800, 1800],
      [3600, 900],
    ]);
    expect(p.segments[1]!.intervals.map((i) => [i.startFrame, i.frames, i.video.map((v) => v.trackId)])).toEqual([
      [0, 300, ["ada"]],
      [300, 1500, ["ada", "bob"]],
    ]);
    expect(p.segments[1]!.intervals[1]!.video.map((v) => v.inputOffsetSeconds)).toEqual([70, 0]);
    expect(p.segments[2]!.intervals[0]!.video.map((v) => v.inputOffsetSeconds)).toEqual([120, 50]);
  });

  it("the same manifest gives the same keys; a different recording or plan gives different ones", () => {
    const m = manifest(90_000, [track("ada", "ada", "video", [[0, 90_000]])]);
    const keys = plan(m).segments.map((s) => s.key);
    expect(plan(RecordingManifest.parse(JSON.parse(JSON.stringify(m)))).segments.map((s) => s.key)).toEqual(keys);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys[0]).toMatch(/^recordings\/7b0c8f9e-[0-9a-f-]+\/0f1e2d3c-[0-9a-f-]+\/segments\/00000-[0-9a-f]{8}\.mp4$/);
    expect(plan(m, 30).segments[0]!.key).not.toBe(keys[0]);
  });

  it("a segment's key changes when only what it hears changes (a microphone left out as unusable)", () => {
    const m = manifest(60_000, [track("ada", "ada", "video", [[0, 60_000]]), track("mic", "ada", "audio", [[0, 60_000]])]);
    expect(planSegments(m, buildTimeline(m, ["mic"])).segments[0]!.key).not.toBe(plan(m).segments[0]!.key);
  });

  it("writes the concat list in segment order, quoting paths", () => {
    const p = plan(manifest(90_000, []));
    expect(assemblyConcatList(p, (s) => `/tmp/it's/${s.index}.mp4`)).toBe(
      "ffconcat version 1.0\nfile '/tmp/it'\\''s/0.mp4'\nfile '/tmp/it'\\''s/1.mp4'\n",
    );
  });

  it("property: segments cover every frame once, and each frame shows what the timeline shows at that instant", () => {
    const spanArb = fc
      .tuple(fc.integer({ min: 0, max: 19_999 }), fc.integer({ min: 1, max: 20_000 }))
      .map(([a, b]) => [a, Math.min(20_000, a + b)] as [number, number]);
    fc.assert(
      fc.property(
        fc.array(spanArb, { minLength: 0, maxLength: 4 }),
        fc.option(spanArb),
        fc.integer({ min: 1, max: 9 }),
        (spans, pause, seconds) => {
          const m = manifest(
            20_000,
            spans.map((s, i) => track(`v${i}`, i % 2 ? "bob" : "ada", "video", [s])),
            pause ? [pause] : [],
          );
          const timeline = buildTimeline(m);
          const p = planSegments(m, timeline, seconds);
          let frame = 0;
          for (const s of p.segments) {
            expect(s.startFrame).toBe(frame);
            expect(s.frames).toBeLessThanOrEqual(p.segmentFrames);
            let inner = 0;
            for (const i of s.intervals) {
              expect(i.startFrame).toBe(inner);
              inner += i.frames;
              // Sample the interval's middle frame against the timeline at that output instant.
              const ms = ((s.startFrame + i.startFrame + Math.floor(i.frames / 2)) * 1000) / 30;
              const at = timeline.intervals.find((x) => x.startMs <= ms && ms < x.endMs);
              if (at && Math.abs(at.startMs - ms) > 34 && Math.abs(at.endMs - ms) > 34)
                expect(i.video.map((v) => v.trackId)).toEqual(at.video.map((v) => v.trackId));
            }
            expect(inner).toBe(s.frames);
            frame += s.frames;
          }
          expect(frame).toBe(p.totalFrames);
          expect(Math.abs(p.totalFrames - (timeline.durationMs * 30) / 1000)).toBeLessThanOrEqual(0.5);
        },
      ),
      { numRuns: 200 },
    );
  });
});
