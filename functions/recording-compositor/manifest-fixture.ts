import { RecordingManifest } from "../../protocol/recording-manifest.ts";

/** Test support for the pure plans: manifests built from spans in ms after `t0`. */

export const t0 = Date.UTC(2026, 11, 3, 10, 0);

export type Span = [from: number, to: number];

/** A camera (VP8 in IVF) or a microphone (Opus in Ogg), one file per span; `keySuffix` ends each file's key. */
export const fixtureTrack = (id: string, participant: string, kind: "audio" | "video", files: Span[], keySuffix = "") => ({
  id,
  participant,
  kind,
  source: kind === "video" ? "camera" : "mic",
  codec: kind === "video" ? "vp8" : "opus",
  container: kind === "video" ? "ivf" : "ogg",
  files: files.map(([from, to], i) => ({ key: `r/${id}-${i}${keySuffix}`, startedAt: t0 + from, endedAt: t0 + to })),
});

/** Ada and Bob's recording of `durationMs`, with `tracks` and paused spans; `over` replaces any field. */
export const fixtureManifest = (durationMs: number, tracks: unknown[], paused: Span[] = [], over: Record<string, unknown> = {}) =>
  RecordingManifest.parse({
    version: 1,
    recordingId: "0f1e2d3c-4b5a-4968-8776-655443322110",
    tenantId: "7b0c8f9e-1a2b-4c3d-8e9f-0a1b2c3d4e5f",
    meetingId: "1b0c8f9e-1a2b-4c3d-8e9f-0a1b2c3d4e5f",
    startedAt: t0,
    endedAt: t0 + durationMs,
    participants: [
      { identity: "ada", name: "Ada", excluded: null },
      { identity: "bob", name: "Bob", excluded: null },
    ],
    tracks,
    paused: paused.map(([from, to]) => ({ from: t0 + from, to: t0 + to })),
    output: { layout: "grid", resolution: "1080p", fps: 30 },
    ...over,
  });
