import { dispose } from "@livekit/rtc-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RecordingManifest } from "../../protocol/recording-manifest.ts";
import { recordingPrefix } from "../../protocol/recording-composition.ts";
import { identity, recorderHarness, sleep, type RecorderHarness } from "./recorder-harness.ts";

// The track recorders of the local stack (scripts/services/recorder.ts, 2 s chunks) against the real LiveKit node,
// driven by the product's client (media-fleet/recorder-client/), rtc-node bots publishing VP8 video and Opus audio.

let h: RecorderHarness;

beforeAll(async () => {
  h = await recorderHarness("capture");
});

afterAll(async () => {
  await h?.cleanup();
  await dispose();
});

const tracksOf = (m: RecordingManifest, who: string) => m.tracks.filter((t) => t.participant === who);
const overlaps = (f: { startedAt: number; endedAt: number }, span: { from: number; to: number }) =>
  f.startedAt < span.to && f.endedAt > span.from;
const expectedCodec = { vp8: "vp8", opus: "opus", h264: "h264" } as const;

/** Every chunk the manifest lists is in S3 and ffprobe reads it as the track's codec; nothing else is under tracks/. */
async function expectChunksPlayable(m: RecordingManifest) {
  const prefix = recordingPrefix(m.tenantId, m.recordingId);
  const stored = await h.listKeys(`${prefix}tracks/`);
  const listed = m.tracks.flatMap((t) => t.files.map((f) => f.key));
  expect(new Set(stored)).toEqual(new Set(listed));
  for (const track of m.tracks) {
    track.files.forEach((file, i) => {
      expect(file.key).toBe(`${prefix}tracks/${track.id}/${String(i + 1).padStart(6, "0")}.${track.container}`);
    });
    for (const file of track.files) expect(await h.probe(file.key), file.key).toEqual([expectedCodec[track.codec]]);
  }
}

describe("track recorder capture", () => {
  it("captures each participant's camera and microphone in chunks, a late joiner from when it appears; the final manifest parses and every chunk plays", async () => {
    const room = await h.newRoom("late");
    await h.join(room, "ada", "Ada Lovelace");
    const start = h.capture(room);
    const started = await h.pool.start(start);
    expect(started).toMatchObject({ recordingId: start.recordingId, state: "capturing" });
    await sleep(3_000);
    const bobArrived = Date.now();
    await h.join(room, "bob", "Bob");
    await sleep(4_500);
    const status = await h.pool.status(started.recorderId, start.recordingId);
    expect(status.activeTracks).toBe(4);
    const { manifestKey, status: final } = await h.pool.stop(started.recorderId, start.recordingId);
    expect(final.state).toBe("stopped");

    const m = await h.readManifest(manifestKey);
    expect(m).toMatchObject({ recordingId: start.recordingId, tenantId: start.tenantId, meetingId: start.meetingId, paused: [] });
    expect(m.participants).toEqual([
      { identity: "ada", name: "Ada Lovelace", excluded: null },
      { identity: "bob", name: "Bob", excluded: null },
    ]);
    for (const who of ["ada", "bob"]) {
      const kinds = tracksOf(m, who).map((t) => `${t.source}/${t.codec}/${t.container}`);
      expect(kinds.sort(), who).toEqual(["camera/vp8/ivf", "mic/opus/ogg"]);
    }
    // Ada's tracks cover the whole capture in several chunks; Bob's begin when he arrived, not before.
    for (const track of tracksOf(m, "ada")) {
      expect(track.files.length).toBeGreaterThanOrEqual(3);
      expect(track.files[0]!.startedAt - started.startedAt.getTime()).toBeLessThan(1_500);
    }
    for (const track of tracksOf(m, "bob")) {
      expect(track.files[0]!.startedAt).toBeGreaterThanOrEqual(bobArrived);
      expect(track.files[0]!.startedAt - bobArrived).toBeLessThan(3_000);
    }
    // Audio chunks abut: each begins where the one before ended (video may lose a frame or two at a keyframe cut).
    for (const track of m.tracks.filter((t) => t.kind === "audio")) {
      for (let i = 1; i < track.files.length; i++) expect(track.files[i]!.startedAt - track.files[i - 1]!.endedAt).toBeLessThan(100);
    }
    expect(m.speakers.every((s) => s.participant === "ada" || s.participant === "bob")).toBe(true);
    await expectChunksPlayable(m);
    // Stop is idempotent: the same manifest again.
    expect((await h.pool.stop(started.recorderId, start.recordingId)).manifestKey).toBe(manifestKey);
  });

  it("captures nothing while paused: no file spans the pause, the manifest lists it, capture resumes at a keyframe", async () => {
    const room = await h.newRoom("pause");
    await h.join(room, "ada");
    const start = h.capture(room);
    const { recorderId } = await h.pool.start(start);
    await sleep(3_000);
    const paused = await h.pool.pause(recorderId, start.recordingId);
    expect(paused.state).toBe("paused");
    await sleep(3_000);
    const resumed = await h.pool.resume(recorderId, start.recordingId);
    expect(resumed.state).toBe("capturing");
    expect(resumed.paused).toHaveLength(1);
    await sleep(3_000);
    const { manifestKey } = await h.pool.stop(recorderId, start.recordingId);

    const m = await h.readManifest(manifestKey);
    const span = { from: resumed.paused[0]!.from.getTime(), to: resumed.paused[0]!.to.getTime() };
    expect(span.to - span.from).toBeGreaterThanOrEqual(2_900);
    expect(m.paused).toEqual([span]);
    for (const track of tracksOf(m, "ada")) {
      for (const file of track.files) expect(overlaps(file, span), `${file.key} spans the pause`).toBe(false);
      expect(track.files.some((f) => f.endedAt <= span.from)).toBe(true);
      expect(track.files.some((f) => f.startedAt >= span.to)).toBe(true);
    }
    await expectChunksPlayable(m);
  });

  it("an identity excluded at start is never subscribed to and nothing of it is stored", async () => {
    const room = await h.newRoom("declined");
    await h.join(room, "ada");
    await h.join(room, "carol");
    const start = h.capture(room, [{ identity: identity("carol"), reason: "declined" }]);
    const { recorderId } = await h.pool.start(start);
    await sleep(4_000);
    // The recorder reads only the tracks the SFU sends it: Ada's two, none of Carol's.
    expect((await h.pool.status(recorderId, start.recordingId)).activeTracks).toBe(2);
    const { manifestKey, status } = await h.pool.stop(recorderId, start.recordingId);
    expect(status.excluded).toEqual([{ identity: "carol", reason: "declined" }]);

    const m = await h.readManifest(manifestKey);
    expect(m.participants.find((p) => p.identity === "carol")).toEqual({
      identity: "carol",
      name: "carol",
      excluded: { reason: "declined" },
    });
    expect(tracksOf(m, "carol")).toEqual([]);
    expect(tracksOf(m, "ada")).toHaveLength(2);
    expect(m.speakers.some((s) => s.participant === "carol")).toBe(false);
    await expectChunksPlayable(m);
  });

  it("a participant excluded mid-recording is unsubscribed, their uploaded chunks are deleted and the manifest lists them excluded", async () => {
    const room = await h.newRoom("excluded");
    await h.join(room, "ada");
    await h.join(room, "bob");
    const start = h.capture(room);
    const { recorderId } = await h.pool.start(start);
    await sleep(5_000);
    const prefix = recordingPrefix(start.tenantId, start.recordingId);
    // The manifest as rewritten after the latest chunk: Bob's tracks and the chunks uploaded so far.
    const bobTracks = (await h.readManifest(`${prefix}manifest.json`)).tracks.filter((t) => t.participant === "bob");
    expect(bobTracks).toHaveLength(2);
    const bobKeys = bobTracks.flatMap((t) => t.files.map((f) => f.key));
    expect(bobKeys.length).toBeGreaterThanOrEqual(2);

    const after = await h.pool.exclude(recorderId, start.recordingId, [{ identity: identity("bob"), reason: "excluded_by_host" }]);
    expect(after.activeTracks).toBe(2);
    await sleep(2_500);
    const stored = await h.listKeys(`${prefix}tracks/`);
    for (const track of bobTracks) expect(stored.filter((key) => key.includes(`/tracks/${track.id}/`))).toEqual([]);
    const { manifestKey } = await h.pool.stop(recorderId, start.recordingId);

    const m = await h.readManifest(manifestKey);
    expect(m.participants.find((p) => p.identity === "bob")?.excluded).toEqual({ reason: "excluded_by_host" });
    expect(tracksOf(m, "bob")).toEqual([]);
    expect(tracksOf(m, "ada")).toHaveLength(2);
    await expectChunksPlayable(m);
  });
});
