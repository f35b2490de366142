import { describe, expect, it } from "vitest";
import { RecordingManifest } from "./recording-manifest.ts";

const t0 = Date.UTC(2026, 11, 3, 10, 0);
const base = {
  version: 1,
  recordingId: "0f1e2d3c-4b5a-4968-8776-655443322110",
  tenantId: "7b0c8f9e-1a2b-4c3d-8e9f-0a1b2c3d4e5f",
  meetingId: "1b0c8f9e-1a2b-4c3d-8e9f-0a1b2c3d4e5f",
  startedAt: t0,
  endedAt: t0 + 60_000,
  participants: [
    { identity: "ada", name: "Ada", excluded: null },
    { identity: "bob", name: "Bob", excluded: { reason: "declined" } },
  ],
  tracks: [
    {
      id: "TR_ada_cam",
      participant: "ada",
      kind: "video",
      source: "camera",
      codec: "vp8",
      container: "ivf",
      files: [
        { key: "r/ada-cam-0.ivf", startedAt: t0, endedAt: t0 + 30_000 },
        { key: "r/ada-cam-1.ivf", startedAt: t0 + 30_000, endedAt: t0 + 60_000 },
      ],
    },
  ],
  paused: [{ from: t0 + 10_000, to: t0 + 20_000 }],
  output: { layout: "grid", resolution: "1080p", fps: 30 },
};
const messages = (value: unknown) => RecordingManifest.safeParse(value).error?.issues.map((i) => i.message) ?? [];

describe("a recording manifest", () => {
  it("accepts a recording with chunks, a pause and a declined participant", () => {
    const m = RecordingManifest.parse(base);
    expect(m.speakers).toEqual([]);
    expect(m.participants[1]!.excluded).toEqual({ reason: "declined" });
  });

  it("refuses a track of an excluded participant", () => {
    const track = { ...base.tracks[0]!, id: "TR_bob", participant: "bob" };
    expect(messages({ ...base, tracks: [...base.tracks, track] })).toContain("an excluded participant has no tracks");
  });

  it("refuses files out of order, overlapping or outside the recording", () => {
    const files = [...base.tracks[0]!.files].reverse();
    expect(messages({ ...base, tracks: [{ ...base.tracks[0]!, files }] })).toContain("files must be in order and not overlap");
    const late = [{ key: "k", startedAt: t0 + 50_000, endedAt: t0 + 70_000 }];
    expect(messages({ ...base, tracks: [{ ...base.tracks[0]!, files: late }] })).toContain("file outside the recording");
  });

  it("refuses overlapping paused spans and pauses outside the recording", () => {
    const paused = [
      { from: t0 + 10_000, to: t0 + 20_000 },
      { from: t0 + 15_000, to: t0 + 25_000 },
    ];
    expect(messages({ ...base, paused })).toContain("paused spans must be disjoint");
    expect(messages({ ...base, paused: [{ from: t0 - 1, to: t0 + 5 }] })).toContain("paused span outside the recording");
  });

  it("refuses a codec in the wrong container or of the wrong kind", () => {
    expect(messages({ ...base, tracks: [{ ...base.tracks[0]!, container: "ogg" }] })).toContain("vp8 is written as ivf");
    expect(messages({ ...base, tracks: [{ ...base.tracks[0]!, codec: "h264", container: "ogg" }] })).toContain("h264 is written as ivf");
    expect(RecordingManifest.safeParse({ ...base, tracks: [{ ...base.tracks[0]!, codec: "h264", container: "ivf" }] }).success).toBe(true);
    expect(messages({ ...base, tracks: [{ ...base.tracks[0]!, codec: "opus", container: "ogg" }] })).toContain("opus is not a video codec");
  });

  it("refuses an output it cannot make", () => {
    expect(RecordingManifest.safeParse({ ...base, output: { layout: "grid", resolution: "4k", fps: 30 } }).success).toBe(false);
    expect(RecordingManifest.safeParse({ ...base, output: { layout: "mosaic", resolution: "1080p", fps: 30 } }).success).toBe(false);
  });
});
