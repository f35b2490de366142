import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fixtureManifest, fixtureTrack, type Span, t0 } from "./manifest-fixture.ts";
import { buildTimeline, wallTimeOf } from "./timeline.ts";

const camera = (id: string, participant: string, files: Span[]) => fixtureTrack(id, participant, "video", files, ".ivf");
const mic = (id: string, participant: string, files: Span[]) => fixtureTrack(id, participant, "audio", files, ".ogg");
/** Ada, Bob and Eve (excluded by a host) for 60 s; `over` replaces any field. */
const manifest = (over: Record<string, unknown>) =>
  fixtureManifest(60_000, [], [], {
    participants: [
      { identity: "ada", name: "Ada", excluded: null },
      { identity: "bob", name: "Bob", excluded: null },
      { identity: "eve", name: "Eve", excluded: { reason: "excluded_by_host" } },
    ],
    ...over,
  });
const tilesOf = (i: { video: { trackId: string }[] }) => i.video.map((p) => p.trackId);

describe("the composited timeline", () => {
  it("a late joiner and an early leaver re-flow the tiles at the moments they come and go", () => {
    const m = manifest({
      tracks: [camera("ada", "ada", [[0, 40_000]]), camera("bob", "bob", [[15_000, 60_000]]), mic("ada-mic", "ada", [[0, 40_000]])],
    });
    const t = buildTimeline(m);
    expect(t.durationMs).toBe(60_000);
    expect(t.intervals.map((i) => [i.startMs, i.endMs, tilesOf(i)])).toEqual([
      [0, 15_000, ["ada"]],
      [15_000, 40_000, ["ada", "bob"]],
      [40_000, 60_000, ["bob"]],
    ]);
    expect(t.intervals[1]!.video[1]).toMatchObject({ fileKey: "r/bob-0.ivf", inputOffsetMs: 0 });
    expect(t.intervals[1]!.video[0]!.inputOffsetMs).toBe(15_000);
    expect(t.intervals[2]!.audio).toEqual([]);
  });

  it("a paused span is cut out: output time runs on, the file offset jumps over it", () => {
    const m = manifest({ tracks: [camera("ada", "ada", [[0, 60_000]])], paused: [{ from: t0 + 10_000, to: t0 + 25_000 }] });
    const t = buildTimeline(m);
    expect(t.durationMs).toBe(45_000);
    expect(t.intervals.map((i) => [i.startMs, i.endMs, i.video[0]!.inputOffsetMs])).toEqual([
      [0, 10_000, 0],
      [10_000, 45_000, 25_000],
    ]);
    expect(wallTimeOf(t, 10_000)).toBe(t0 + 25_000);
  });

  it("a chunk boundary starts a new piece in the next file", () => {
    const t = buildTimeline(
      manifest({
        tracks: [
          camera("ada", "ada", [
            [0, 30_000],
            [30_000, 60_000],
          ]),
        ],
      }),
    );
    expect(t.intervals.map((i) => [i.startMs, i.video[0]!.fileKey, i.video[0]!.inputOffsetMs])).toEqual([
      [0, "r/ada-0.ivf", 0],
      [30_000, "r/ada-1.ivf", 0],
    ]);
  });

  it("an unusable track is left out and reported; the rest still composites", () => {
    const m = manifest({ tracks: [camera("ada", "ada", [[0, 60_000]]), camera("bob", "bob", [[0, 60_000]])] });
    const t = buildTimeline(m, ["bob"]);
    expect(t.omitted).toEqual([{ trackId: "bob", participant: "bob", reason: "unusable" }]);
    expect(t.intervals.map(tilesOf)).toEqual([["ada"]]);
  });

  it("an excluded participant is never on screen nor named", () => {
    const t = buildTimeline(manifest({ tracks: [camera("ada", "ada", [[0, 60_000]])] }));
    expect(t.names).toEqual({ ada: "Ada", bob: "Bob" });
  });

  it("the speaker layout splits intervals at speaker changes", () => {
    const m = manifest({
      tracks: [camera("ada", "ada", [[0, 60_000]]), camera("bob", "bob", [[0, 60_000]])],
      speakers: [{ participant: "bob", from: t0 + 20_000, to: t0 + 30_000 }],
      output: { layout: "speaker", resolution: "1080p", fps: 30 },
    });
    expect(buildTimeline(m).intervals.map((i) => [i.startMs, i.speaker])).toEqual([
      [0, null],
      [20_000, "bob"],
      [30_000, null],
    ]);
  });

  it("property: intervals tile the output exactly, pieces lie inside their files, nothing captured while paused", () => {
    const spanArb = fc
      .tuple(fc.integer({ min: 0, max: 59_999 }), fc.integer({ min: 1, max: 60_000 }))
      .map(([a, b]) => [a, Math.min(60_000, a + b)] as [number, number]);
    fc.assert(
      fc.property(
        fc.array(spanArb, { minLength: 1, maxLength: 4 }),
        fc.option(spanArb),
        fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
        (spans, pause, unusable) => {
          const tracks = spans.map((s, i) =>
            i % 2 ? mic(`t${i}`, i % 4 < 2 ? "ada" : "bob", [s]) : camera(`t${i}`, i % 4 < 2 ? "ada" : "bob", [s]),
          );
          const paused = pause ? [{ from: t0 + pause[0], to: t0 + pause[1] }] : [];
          const m = manifest({ tracks, paused });
          const t = buildTimeline(
            m,
            tracks.filter((_, i) => unusable[i]).map((x) => x.id),
          );
          expect(t.durationMs).toBe(60_000 - (pause ? pause[1] - pause[0] : 0));
          let at = 0;
          for (const i of t.intervals) {
            expect(i.startMs).toBe(at);
            expect(i.endMs).toBeGreaterThan(i.startMs);
            at = i.endMs;
            const wallEnd = i.wallStartMs + (i.endMs - i.startMs);
            if (pause) expect(wallEnd <= t0 + pause[0] || i.wallStartMs >= t0 + pause[1]).toBe(true);
            for (const p of [...i.video, ...i.audio]) {
              expect(unusable[Number(p.trackId.slice(1))]).toBe(false);
              const file = m.tracks.find((x) => x.id === p.trackId)!.files.find((f) => f.key === p.fileKey)!;
              expect(file.startedAt + p.inputOffsetMs).toBe(i.wallStartMs);
              expect(wallEnd).toBeLessThanOrEqual(file.endedAt);
            }
          }
          expect(at).toBe(t.durationMs);
        },
      ),
      { numRuns: 300 },
    );
  });
});
