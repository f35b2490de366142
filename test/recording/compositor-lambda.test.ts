import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CompositionReport } from "../../protocol/recording-composition.ts";
import { RecordingManifest } from "../../protocol/recording-manifest.ts";
import { logDir } from "../../scripts/lib/paths.ts";
import { emulatorName } from "../../scripts/services/lambda.ts";
import { type CompositorHarness, compositorHarness, compositorUnderTest } from "./compositor-harness.ts";
import {
  camera,
  colourAt,
  colourName,
  firstBeep,
  firstFlash,
  flashAndBeep,
  microphone,
  pcm,
  probe,
  toneAmplitude,
} from "./compositor-media.ts";

/**
 * The recording compositor end to end on the local runtime: manifests and track chunks in the real S3, the compose
 * invocation sent asynchronously (as the API sends it) to the emulators, segments fanned out to the other
 * emulators, rows in the real Postgres, the outputs read back with ffprobe, frames and audio sampled.
 */

let h: CompositorHarness;
beforeAll(async () => {
  h = await compositorHarness();
}, 240_000);
afterAll(async () => {
  await h?.close();
});

const t0 = Date.UTC(2026, 11, 3, 10, 0);
type Ready = Extract<CompositionReport, { outcome: "ready" }>;

interface TrackSpec {
  id: string;
  participant: string;
  kind: "audio" | "video";
  /** [key, wall ms from t0 start, end] per chunk. */
  files: [string, number, number][];
}

function manifestOf(
  recordingId: string,
  tenantId: string,
  spec: { endMs: number; paused: [number, number][]; names: Record<string, string>; tracks: TrackSpec[] },
) {
  return RecordingManifest.parse({
    version: 1,
    recordingId,
    tenantId,
    meetingId: "1b0c8f9e-1a2b-4c3d-8e9f-0a1b2c3d4e5f",
    startedAt: t0,
    endedAt: t0 + spec.endMs,
    participants: Object.entries(spec.names).map(([identity, name]) => ({ identity, name, excluded: null })),
    tracks: spec.tracks.map((t) => ({
      id: t.id,
      participant: t.participant,
      kind: t.kind,
      source: t.kind === "video" ? "camera" : "mic",
      codec: t.kind === "video" ? "vp8" : "opus",
      container: t.kind === "video" ? "ivf" : "ogg",
      files: t.files.map(([key, from, to]) => ({ key, startedAt: t0 + from, endedAt: t0 + to })),
    })),
    paused: spec.paused.map(([from, to]) => ({ from: t0 + from, to: t0 + to })),
    speakers: [],
    output: { layout: "grid", resolution: "1080p", fps: 30 },
  });
}

const composeEvent = (recordingId: string, manifestKey: string) => ({ kind: "compose", tenantId: h.tenantId, recordingId, manifestKey });

/** Track chunks made locally and uploaded under the recording's prefix; answers their keys. */
async function chunk(prefix: string, name: string, make: (file: string) => Promise<void>): Promise<string> {
  const file = path.join(h.scratch, `${prefix.replaceAll("/", "_")}${name}`);
  await make(file);
  const key = `${prefix}tracks/${name}`;
  await h.upload(key, file);
  return key;
}

// Tiles on the 1080p canvas: two side by side are 960×540 at y 270; one fills the frame.
const leftTile = { x: 380, y: 440, w: 200, h: 200 };
const rightTile = { x: 1340, y: 440, w: 200, h: 200 };
const centre = { x: 860, y: 440, w: 200, h: 200 };

describe("the recording compositor on the local Lambda runtime", () => {
  // Wall time (ms from start): recording 0-7000, paused 3000-4000, so the output is 6 s. Ada (red, 440 Hz) throughout,
  // in two chunks each, and her files carry yellow and 3300 Hz inside the paused span, which must never show.
  // Bob (blue, 1000 Hz) leaves at 2500; Cy (green, 2500 Hz) joins at 4500; Dee's camera was never uploaded.
  let recording: { recordingId: string; manifestKey: string; prefix: string };
  let first: Ready;

  it("composites a recording invoked asynchronously: MP4 1080p H.264 + AAC, each participant's colour in its tile while in, tones in the audio, the paused span absent, the missing track reported", async () => {
    recording = await h.newRecording();
    const p = recording.prefix;
    const [adaCam1, adaCam2, adaMic1, adaMic2, bobCam1, bobCam2, bobMic1, bobMic2, cyCam1, cyCam2, cyMic1, cyMic2] = await Promise.all([
      chunk(p, "ada-cam-1.ivf", (f) => camera(f, 3.5, "red", { at: 3, colour: "yellow" })),
      chunk(p, "ada-cam-2.ivf", (f) => camera(f, 3.5, "yellow", { at: 0.5, colour: "red" })),
      chunk(p, "ada-mic-1.ogg", (f) => microphone(f, 3.5, 440, { at: 3, hz: 3300 })),
      chunk(p, "ada-mic-2.ogg", (f) => microphone(f, 3.5, 3300, { at: 0.5, hz: 440 })),
      chunk(p, "bob-cam-1.ivf", (f) => camera(f, 1.2, "blue")),
      chunk(p, "bob-cam-2.ivf", (f) => camera(f, 1.3, "blue")),
      chunk(p, "bob-mic-1.ogg", (f) => microphone(f, 1.2, 1000)),
      chunk(p, "bob-mic-2.ogg", (f) => microphone(f, 1.3, 1000)),
      chunk(p, "cy-cam-1.ivf", (f) => camera(f, 1.2, "green")),
      chunk(p, "cy-cam-2.ivf", (f) => camera(f, 1.3, "green")),
      chunk(p, "cy-mic-1.ogg", (f) => microphone(f, 1.2, 2500)),
      chunk(p, "cy-mic-2.ogg", (f) => microphone(f, 1.3, 2500)),
    ]);
    const manifest = manifestOf(recording.recordingId, h.tenantId, {
      endMs: 7000,
      paused: [[3000, 4000]],
      names: { ada: "Ada", bob: "Bob", cy: "Cy", dee: "Dee" },
      tracks: [
        {
          id: "ada-cam",
          participant: "ada",
          kind: "video",
          files: [
            [adaCam1, 0, 3500],
            [adaCam2, 3500, 7000],
          ],
        },
        {
          id: "ada-mic",
          participant: "ada",
          kind: "audio",
          files: [
            [adaMic1, 0, 3500],
            [adaMic2, 3500, 7000],
          ],
        },
        {
          id: "bob-cam",
          participant: "bob",
          kind: "video",
          files: [
            [bobCam1, 0, 1200],
            [bobCam2, 1200, 2500],
          ],
        },
        {
          id: "bob-mic",
          participant: "bob",
          kind: "audio",
          files: [
            [bobMic1, 0, 1200],
            [bobMic2, 1200, 2500],
          ],
        },
        { id: "dee-cam", participant: "dee", kind: "video", files: [[`${p}tracks/dee-cam-1.ivf`, 0, 7000]] },
        {
          id: "cy-cam",
          participant: "cy",
          kind: "video",
          files: [
            [cyCam1, 4500, 5700],
            [cyCam2, 5700, 7000],
          ],
        },
        {
          id: "cy-mic",
          participant: "cy",
          kind: "audio",
          files: [
            [cyMic1, 4500, 5700],
            [cyMic2, 5700, 7000],
          ],
        },
      ],
    });
    await h.put(recording.manifestKey, JSON.stringify(manifest), "application/json");

    const accepted = await h.lambda.invoke(composeEvent(recording.recordingId, recording.manifestKey), { invocationType: "Event" });
    expect(accepted).toMatchObject({ statusCode: 202, payload: undefined, functionError: undefined });
    expect(accepted.ms).toBeLessThan(2000);

    const [received] = await h.waitForReport(recording.recordingId);
    expect(received, "a report arrives").toBeDefined();
    expect(received!.report.outcome).toBe("ready");
    first = received!.report as Ready;
    expect(received!.claims.exp! - received!.claims.iat!).toBeLessThanOrEqual(300);
    expect(first.durationMs).toBe(6000);
    expect(first.problems).toEqual([expect.objectContaining({ code: "track_missing", trackId: "dee-cam" })]);

    const mp4 = await h.download(first.renditions.find((r) => r.kind === "mp4")!.objectKey);
    const info = await probe(mp4);
    const video = info.streams.find((s) => s.codec_type === "video")!;
    expect(video).toMatchObject({ codec_name: "h264", width: 1920, height: 1080, nb_read_frames: "180" });
    expect(info.streams.find((s) => s.codec_type === "audio")?.codec_name).toBe("aac");
    expect(Math.abs(Number(info.format.duration) - 6)).toBeLessThanOrEqual(0.05);

    // Output 1.0 s = wall 1.0: Ada and Bob side by side (Dee's missing camera takes no tile).
    expect([colourName(await colourAt(mp4, 1, leftTile)), colourName(await colourAt(mp4, 1, rightTile))]).toEqual(["red", "blue"]);
    // Output 2.8 s = wall 2.8: Bob has left, Ada fills the frame; no blue anywhere we look.
    for (const rect of [leftTile, centre, rightTile]) expect(colourName(await colourAt(mp4, 2.8, rect))).toBe("red");
    // Around the cut (output 3.0 s): wall 2.97 then wall 4.03, both red; the paused span's yellow never shows.
    for (const at of [2.95, 3.05, 3.4]) expect(colourName(await colourAt(mp4, at, centre))).toBe("red");
    // Output 5.0 s = wall 6.0: Cy has joined, on the right.
    expect([colourName(await colourAt(mp4, 5, leftTile)), colourName(await colourAt(mp4, 5, rightTile))]).toEqual(["red", "green"]);

    const amplitudes = async (from: number, seconds: number) => {
      const samples = await pcm(mp4, from, seconds);
      return Object.fromEntries([440, 1000, 2500, 3300].map((hz) => [hz, toneAmplitude(samples, hz)]));
    };
    const whileBob = await amplitudes(0.5, 1.5);
    const whileCy = await amplitudes(4, 1.5);
    const aroundCut = await amplitudes(2.6, 0.8);
    // Each sine is 0.25 (mono downmix of a stereo copy keeps it); absent tones measure near zero.
    expect(whileBob[440]).toBeGreaterThan(0.1);
    expect(whileBob[1000]).toBeGreaterThan(0.1);
    expect(whileBob[2500]).toBeLessThan(0.01);
    expect(whileCy[440]).toBeGreaterThan(0.1);
    expect(whileCy[2500]).toBeGreaterThan(0.1);
    expect(whileCy[1000]).toBeLessThan(0.01);
    expect(aroundCut[3300]).toBeLessThan(0.01);
    expect(aroundCut[440]).toBeGreaterThan(0.1);
  }, 300_000);

  it("renditions: the WebM is VP8 + Opus, the HLS master lists 1080p/720p/480p/240p variants that play, thumbnails exist; rows match the report", async () => {
    const kinds = first.renditions.map((r) => r.kind).sort();
    expect(kinds).toEqual(["hls", "mp4", "thumbnail", "thumbnail", "thumbnail", "thumbnail", "thumbnail", "webm"]);
    for (const r of first.renditions) expect(r.objectKey.startsWith(recording.prefix)).toBe(true);

    const webm = await probe(await h.download(first.renditions.find((r) => r.kind === "webm")!.objectKey));
    expect(webm.streams.map((s) => [s.codec_type, s.codec_name, s.width ?? null])).toEqual([
      ["video", "vp8", 1280],
      ["audio", "opus", null],
    ]);
    expect(Math.abs(Number(webm.format.duration) - 6)).toBeLessThanOrEqual(0.1);

    const masterKey = first.renditions.find((r) => r.kind === "hls")!.objectKey;
    const master = fs.readFileSync(await h.download(masterKey), "utf8");
    const variants = master.split("\n").filter((l) => l.endsWith(".m3u8"));
    expect(master.match(/RESOLUTION=\d+x\d+/g)).toEqual([
      "RESOLUTION=1920x1080",
      "RESOLUTION=1280x720",
      "RESOLUTION=854x480",
      "RESOLUTION=426x240",
    ]);
    expect(master).toMatch(/CODECS="avc1\.[0-9a-f]{6},mp4a\.40\.2",AUDIO="audio"/);
    // The variants are video only (cut by the segments); the audio, encoded once, is one rendition they all name.
    expect(master).toContain('#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio"');
    const base = masterKey.replace(/master\.m3u8$/, "");
    const firstMedia = async (playlistKey: string) => {
      const playlist = fs.readFileSync(await h.download(playlistKey), "utf8");
      expect(playlist).toContain("#EXT-X-ENDLIST");
      const durations = [...playlist.matchAll(/#EXTINF:([\d.]+),/g)].map((m) => Number(m[1]));
      const first = playlist.split("\n").find((l) => l.endsWith(".ts"))!;
      return { durations, ts: await probe(await h.download(`${playlistKey.replace(/index\.m3u8$/, "")}${first}`)) };
    };
    const audio = await firstMedia(`${base}${master.match(/URI="([^"]+)"/)![1]}`);
    expect(audio.ts.streams.map((s) => [s.codec_type, s.codec_name])).toEqual([["audio", "aac"]]);
    const sizes: string[] = [];
    const videoStarts: number[] = [];
    for (const variant of variants) {
      const { durations, ts } = await firstMedia(`${base}${variant}`);
      // Three 2 s segments, each cut into one media segment of its own: 6 s in all, to the frame.
      expect(durations.length).toBe(3);
      expect(Math.abs(durations.reduce((a, b) => a + b, 0) - 6)).toBeLessThan(0.034);
      const v = ts.streams.find((s) => s.codec_type === "video")!;
      sizes.push(`${v.codec_name} ${v.width}x${v.height}`);
      expect(ts.streams.find((s) => s.codec_type === "audio")).toBeUndefined();
      videoStarts.push(Number(v.start_time));
    }
    expect(sizes).toEqual(["h264 1920x1080", "h264 1280x720", "h264 854x480", "h264 426x240"]);
    // In sync on the HLS timeline: the first frame and the first sound after the AAC encoder's priming packet
    // (1024 samples at 48 kHz) carry the same timestamp in every variant.
    const audioStart = Number(audio.ts.streams[0]!.start_time) + 1024 / 48_000;
    for (const start of videoStarts) expect(Math.abs(start - audioStart)).toBeLessThan(0.002);

    const thumbnail = await probe(await h.download(first.renditions.find((r) => r.kind === "thumbnail")!.objectKey));
    expect(thumbnail.streams[0]).toMatchObject({ codec_name: "mjpeg", width: 480, height: 270 });

    const { segments, renditions } = await h.rows(recording.recordingId);
    expect(segments.map((s) => [s.index, s.frames, s.status])).toEqual([
      [0, 60, "done"],
      [1, 60, "done"],
      [2, 60, "done"],
    ]);
    expect(renditions.map((r) => r.object_key).sort()).toEqual(first.renditions.map((r) => r.objectKey).sort());
  });

  it("a compose invocation sent again skips the done segments, writes the same keys and adds no rows", async () => {
    const before = await h.rows(recording.recordingId);
    const keysBefore = await h.keysUnder(recording.prefix);
    const again = await h.lambda.invoke<{ ok: boolean; report: CompositionReport }>(
      composeEvent(recording.recordingId, recording.manifestKey),
    );
    expect(again.functionError).toBeUndefined();
    expect(again.payload.report.outcome).toBe("ready");
    const second = again.payload.report as Ready;
    expect(second.renditions.map((r) => r.objectKey).sort()).toEqual(first.renditions.map((r) => r.objectKey).sort());
    const after = await h.rows(recording.recordingId);
    // No segment ran again (attempts unchanged) and no row was added.
    expect(after.segments).toEqual(before.segments);
    expect(after.renditions.map((r) => r.object_key)).toEqual(before.renditions.map((r) => r.object_key));
    expect(await h.keysUnder(recording.prefix)).toEqual(keysBefore);
    expect((await h.waitForReport(recording.recordingId, 2)).length).toBe(2);
  }, 240_000);

  it("a segment whose runtime is killed mid-invocation is retried alone: the row counts two attempts, the report says so, the output is whole", async () => {
    const r = await h.newRecording();
    const cam = await chunk(r.prefix, "ada-cam.ivf", (f) => camera(f, 4, "red"));
    const mic = await chunk(r.prefix, "ada-mic.ogg", (f) => microphone(f, 4, 440));
    const manifest = manifestOf(r.recordingId, h.tenantId, {
      endMs: 4000,
      paused: [],
      names: { ada: "Ada" },
      tracks: [
        { id: "ada-cam", participant: "ada", kind: "video", files: [[cam, 0, 4000]] },
        { id: "ada-mic", participant: "ada", kind: "audio", files: [[mic, 0, 4000]] },
      ],
    });
    await h.put(r.manifestKey, JSON.stringify(manifest), "application/json");

    // The runtime logs each segment's start with its pid: the first attempt at segment 0 is killed as it runs
    // (SIGKILL, as an out-of-memory kill would end it).
    const logs = Array.from({ length: compositorUnderTest.emulators }, (_, i) =>
      path.join(logDir, `${emulatorName(compositorUnderTest, i)}.log`),
    );
    const offsets = logs.map((log) => (fs.existsSync(log) ? fs.statSync(log).size : 0));
    let killed: number | null = null;
    const watcher = setInterval(() => {
      if (killed) return;
      logs.forEach((log, i) => {
        const text = fs.readFileSync(log, "utf8").slice(offsets[i]);
        const started = text
          .split("\n")
          .filter((line) => line.includes('"event":"segment_started"') && line.includes(r.recordingId))
          .map((line) => JSON.parse(line.slice(line.indexOf("{"))) as { index: number; attempt: number; pid: number });
        const target = started.find((s) => s.index === 0 && s.attempt === 1);
        if (target && !killed) {
          killed = target.pid;
          process.kill(target.pid, "SIGKILL");
        }
      });
    }, 50);
    try {
      const result = await h.lambda.invoke<{ ok: boolean; report: CompositionReport }>(composeEvent(r.recordingId, r.manifestKey));
      expect(killed, "the first attempt of segment 0 was killed").not.toBeNull();
      expect(result.payload.report.outcome).toBe("ready");
      expect(result.payload.report.problems).toEqual([
        expect.objectContaining({
          code: "segment_retried",
          message: expect.stringMatching(/^segment 0 failed 1 time\(s\), then succeeded/),
        }),
      ]);
      const { segments } = await h.rows(r.recordingId);
      expect(segments.map((s) => [s.index, s.status, s.attempts])).toEqual([
        [0, "done", 2],
        [1, "done", 1],
      ]);
      const mp4 = await probe(await h.download((result.payload.report as Ready).renditions.find((x) => x.kind === "mp4")!.objectKey));
      expect(mp4.streams.find((s) => s.codec_type === "video")?.nb_read_frames).toBe("120");
    } finally {
      clearInterval(watcher);
    }
    // The killed environment serves again (the emulator starts a new runtime), as Lambda replaces a crashed one.
    await h.service.up(h.secrets);
  }, 300_000);

  it("sync: a bot that flashes white and beeps at the same instants shows both within 40 ms, at the start and at the end, across a pause and segment cuts", async () => {
    const r = await h.newRecording();
    const files = { video: path.join(h.scratch, `${r.recordingId}-bot.ivf`), audio: path.join(h.scratch, `${r.recordingId}-bot.ogg`) };
    // Flashes at wall 0.5 s and 5.5 s; the pause 2.5-3.5 s moves the second to output 4.5 s (in the third segment).
    await flashAndBeep(files.video, files.audio, 6, [0.5, 5.5]);
    const cam = `${r.prefix}tracks/bot-cam.ivf`;
    const mic = `${r.prefix}tracks/bot-mic.ogg`;
    await h.upload(cam, files.video);
    await h.upload(mic, files.audio);
    const manifest = manifestOf(r.recordingId, h.tenantId, {
      endMs: 6000,
      paused: [[2500, 3500]],
      names: { bot: "Sync bot" },
      tracks: [
        { id: "bot-cam", participant: "bot", kind: "video", files: [[cam, 0, 6000]] },
        { id: "bot-mic", participant: "bot", kind: "audio", files: [[mic, 0, 6000]] },
      ],
    });
    await h.put(r.manifestKey, JSON.stringify(manifest), "application/json");
    const result = await h.lambda.invoke<{ report: CompositionReport }>(composeEvent(r.recordingId, r.manifestKey));
    expect(result.payload.report.outcome).toBe("ready");
    const mp4 = await h.download((result.payload.report as Ready).renditions.find((x) => x.kind === "mp4")!.objectKey);
    for (const expected of [0.5, 4.5]) {
      const flash = await firstFlash(mp4, expected - 0.4, 0.8, centre);
      const beep = await firstBeep(mp4, expected - 0.4, 0.8);
      expect(flash, `a flash near ${expected} s`).not.toBeNull();
      expect(beep, `a beep near ${expected} s`).not.toBeNull();
      expect(Math.abs(flash! - beep!) * 1000, `flash ${flash} s vs beep ${beep} s`).toBeLessThanOrEqual(40);
      expect(Math.abs(flash! - expected)).toBeLessThanOrEqual(0.05);
    }
  }, 300_000);

  it("bad events get clear errors, not crashes; a missing manifest is reported as failed", async () => {
    const noFields = await h.lambda.invoke<{ ok: boolean; error: { code: string; message: string; issues: { path: string }[] } }>({
      kind: "compose",
    });
    expect(noFields.functionError).toBeUndefined();
    expect(noFields.payload).toMatchObject({ ok: false, error: { code: "bad_event" } });
    expect(noFields.payload.error.issues.map((i) => i.path).sort()).toEqual(["manifestKey", "recordingId", "tenantId"]);
    const unknownKind = await h.lambda.invoke<{ ok: boolean; error: { code: string } }>({ kind: "transcode", tenantId: h.tenantId });
    expect(unknownKind.payload).toMatchObject({ ok: false, error: { code: "bad_event" } });
    expect((await h.lambda.invoke<unknown>("not an object")).payload).toMatchObject({ ok: false, error: { code: "bad_event" } });

    const r = await h.newRecording();
    const foreignKey = await h.lambda.invoke<{ ok: boolean; error: { message: string } }>(
      composeEvent(r.recordingId, `recordings/${crypto.randomUUID()}/${r.recordingId}/manifest.json`),
    );
    expect(foreignKey.payload).toMatchObject({ ok: false, error: { message: expect.stringContaining("manifestKey") } });

    const missing = await h.lambda.invoke<{ ok: boolean; report: CompositionReport }>(composeEvent(r.recordingId, r.manifestKey));
    expect(missing.payload.report).toMatchObject({ outcome: "failed", error: expect.stringContaining("does not exist") });
    const [received] = await h.waitForReport(r.recordingId);
    expect(received?.report.outcome).toBe("failed");

    const unplanned = await h.lambda.invoke<{ errorMessage: string }>({
      kind: "segment",
      tenantId: h.tenantId,
      recordingId: r.recordingId,
      manifestKey: r.manifestKey,
      index: 0,
      segmentSeconds: 2,
      omittedTrackIds: [],
      objectKey: `${r.prefix}segments/00000-deadbeef.mp4`,
    });
    expect(unplanned.functionError).toBe("Unhandled");
    expect(h.refused).toEqual([]);
  }, 120_000);
});
