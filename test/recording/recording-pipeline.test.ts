import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { dispose } from "@livekit/rtc-node";
import { and, eq } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { recordingPrefix } from "../../protocol/recording-composition.ts";
import { RecordingManifest } from "../../protocol/recording-manifest.ts";
import type { ServerFrame } from "../../protocol/server-frames.ts";
import { usageRecords, webhookEvents } from "../../schema/index.ts";
import { loadOrCreateSecrets, recordingsBucket } from "../../scripts/lib/local-config.ts";
import { localS3Client } from "../../scripts/services/s3.ts";
import { LiveKitBot } from "../support/livekit-bot.ts";
import { poll } from "../support/poll.ts";
import { RoomClient } from "../support/room-client.ts";
import { api, createMeeting, mintToken, newTenant, withDatabase } from "../support/stack.ts";
import { colourAt, colourName, pcm, probe, toneAmplitude } from "./compositor-media.ts";

// The whole recording path with nothing standing in: a meeting's room (peer to peer, moved to the SFU by the
// recording), the real track recorder capturing rtc-node bots, consent asked and one participant declining, a
// pause, the stop, the manifest in S3, the compositing Lambda under the local runtime, its report, and the API
// serving the result. The composite is then checked: the participant who accepted is in it, in colour and tone;
// the one who declined is in no output and no object; the paused span is gone. The captured camera is H.264, as
// Safari and many Chromes publish it.

type SfuJoin = Extract<ServerFrame, { type: "sfu_join" }>;
const red: [number, number, number] = [81, 90, 240];
const blue: [number, number, number] = [41, 240, 110];
const clients: RoomClient[] = [];
const bots: LiveKitBot[] = [];
let workDir: string | undefined;

afterAll(async () => {
  for (const bot of bots) await bot.disconnect().catch(() => undefined);
  for (const client of clients) client.close();
  await dispose();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("recording a meeting end to end", () => {
  it("captures who consented, skips the pause, composites, and serves it", { timeout: 240_000 }, async () => {
    const { apiKey, tenantId } = await newTenant("recording pipeline");
    const meeting = await createMeeting(apiKey, { title: "Pipeline review" });
    const join = async (identity: string, role: string) => {
      const client = await RoomClient.join(
        (await mintToken(apiKey, meeting.id, { identity, role, name: identity.toUpperCase() })).connectUrl,
      );
      client.keepAlive();
      clients.push(client);
      return client;
    };
    const host = await join("host", "host");
    const ada = await join("ada", "participant");
    const bob = await join("bob", "participant");

    // Peer to peer until the recording: starting it moves everyone to the SFU.
    const started = await api(`/v1/meetings/${meeting.id}/recordings`, { key: apiKey, body: { consentRequired: true } });
    expect(started.status).toBe(202);
    const { id: recordingId } = (await started.json()) as { id: string };
    for (const client of [host, ada, bob]) {
      expect(await client.next((f) => f.type === "recording_state")).toMatchObject({ recording: { recordingId, consentRequired: true } });
    }
    const [adaJoin, bobJoin] = await Promise.all([ada, bob].map((c) => c.next<SfuJoin>((f) => f.type === "sfu_join", 15_000)));
    const adaBot = await LiveKitBot.connect(adaJoin!.url, adaJoin!.token, { subscribe: false });
    const bobBot = await LiveKitBot.connect(bobJoin!.url, bobJoin!.token, { subscribe: false });
    bots.push(adaBot, bobBot);
    await Promise.all([
      adaBot.publishVideo({ width: 320, height: 240, fps: 15, yuv: red, codec: "h264" }),
      adaBot.publishAudio({ toneHz: 600 }),
      bobBot.publishVideo({ width: 320, height: 240, fps: 15, yuv: blue }),
      bobBot.publishAudio({ toneHz: 1000 }),
    ]);
    await host.next((f) => f.type === "recording_state" && f.recording?.phase === "capturing", 20_000);
    ada.send({ type: "recording_consent", accept: true });
    bob.send({ type: "recording_consent", accept: false });
    const told = await host.next(
      (f) =>
        f.type === "recording_state" &&
        !!f.recording?.notCaptured.some((n) => n.identity === "bob" && n.reason === "declined") &&
        !f.recording.notCaptured.some((n) => n.identity === "ada"),
      10_000,
    );
    expect(told).toBeTruthy();

    await sleep(6_000);
    expect((await api(`/v1/meetings/${meeting.id}/recordings/${recordingId}/pause`, { key: apiKey, method: "POST" })).status).toBe(200);
    await sleep(3_000);
    expect((await api(`/v1/meetings/${meeting.id}/recordings/${recordingId}/resume`, { key: apiKey, method: "POST" })).status).toBe(200);
    await sleep(4_000);
    const stopped = await api(`/v1/meetings/${meeting.id}/recordings/${recordingId}/stop`, { key: apiKey, method: "POST" });
    expect(stopped.status).toBe(200);
    await host.next((f) => f.type === "recording_state" && f.recording === null, 30_000);

    type Detail = {
      status: string;
      durationMs: number | null;
      pausedMs: number;
      renditions: { kind: string; url: string; width: number | null }[];
    };
    const read = async () => (await (await api(`/v1/recordings/${recordingId}`, { key: apiKey })).json()) as Detail;
    const detail = await poll(read, (d) => d.status === "ready" || d.status === "failed", 180_000, 1_000);
    expect(detail.status).toBe("ready");
    expect(detail.pausedMs).toBeGreaterThan(2_500);
    expect(new Set(detail.renditions.map((r) => r.kind))).toEqual(new Set(["mp4", "webm", "hls", "thumbnail"]));
    // Hosts still in the meeting are told, with a playback link that works.
    const readyFrame = await host.next<Extract<ServerFrame, { type: "recording_ready" }>>((f) => f.type === "recording_ready", 10_000);
    expect((await fetch(readyFrame.playbackUrl)).status).toBe(200);

    // The manifest: bob declined and has no tracks; ada's tracks span the paused time with no file.
    const secrets = await loadOrCreateSecrets();
    const s3 = localS3Client(secrets);
    const prefix = recordingPrefix(tenantId, recordingId);
    const manifestObject = await s3.send(new GetObjectCommand({ Bucket: recordingsBucket, Key: `${prefix}manifest.json` }));
    const manifest = RecordingManifest.parse(JSON.parse(await manifestObject.Body!.transformToString()));
    expect(manifest.participants.find((p) => p.identity === "bob")?.excluded).toEqual({ reason: "declined" });
    expect(manifest.tracks.some((t) => t.participant === "bob")).toBe(false);
    expect(manifest.paused).toHaveLength(1);
    const pause = manifest.paused[0]!;
    for (const file of manifest.tracks.flatMap((t) => t.files))
      expect(file.endedAt <= pause.from + 200 || file.startedAt >= pause.to - 200).toBe(true);
    // Every captured object is one of the manifest's files: nothing of bob's was ever written.
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: recordingsBucket, Prefix: `${prefix}tracks/` }));
    const files = new Set(manifest.tracks.flatMap((t) => t.files.map((f) => f.key)));
    expect((listed.Contents ?? []).map((o) => o.Key).filter((key) => !files.has(key!))).toEqual([]);
    expect(
      manifest.tracks
        .filter((t) => t.participant === "ada")
        .map((t) => t.kind)
        .sort(),
    ).toEqual(["audio", "video"]);
    expect(manifest.tracks.find((t) => t.participant === "ada" && t.kind === "video")).toMatchObject({ codec: "h264", container: "ivf" });

    // The composite: 1080p H.264, as long as what was captured, ada's red tile and 600 Hz tone, no blue, no 1000 Hz.
    workDir = await mkdtemp(path.join(tmpdir(), "recording-pipeline-"));
    const mp4 = path.join(workDir, "composite.mp4");
    await writeFile(mp4, new Uint8Array(await (await fetch(detail.renditions.find((r) => r.kind === "mp4")!.url)).arrayBuffer()));
    const probed = await probe(mp4);
    const video = probed.streams.find((s) => s.codec_type === "video")!;
    expect(video).toMatchObject({ codec_name: "h264", width: 1920, height: 1080 });
    const seconds = Number(probed.format.duration);
    expect(Math.abs(seconds * 1000 - detail.durationMs!)).toBeLessThan(1_000);
    // Captured: from ada's accepting to the stop, minus the 3 s pause: about 10 s.
    expect(seconds).toBeGreaterThan(7);
    expect(seconds).toBeLessThan(14);
    for (const at of [seconds * 0.3, seconds * 0.8]) {
      expect(colourName(await colourAt(mp4, at, { x: 760, y: 340, w: 400, h: 400 }))).toBe("red");
    }
    const audio = await pcm(mp4, 1, Math.min(4, seconds - 2));
    expect(toneAmplitude(audio, 600)).toBeGreaterThan(0.05);
    expect(toneAmplitude(audio, 1000)).toBeLessThan(toneAmplitude(audio, 600) / 20);

    // What the tenant's integrations and invoice see.
    const types = await withDatabase(async (db) =>
      (
        await db
          .select()
          .from(webhookEvents)
          .where(and(eq(webhookEvents.tenantId, tenantId), eq(webhookEvents.meetingId, meeting.id)))
      ).map((e) => e.type),
    );
    for (const type of ["recording.started", "recording.paused", "recording.resumed", "recording.ready"]) expect(types).toContain(type);
    const billed = await withDatabase((db) =>
      db
        .select()
        .from(usageRecords)
        .where(and(eq(usageRecords.tenantId, tenantId), eq(usageRecords.kind, "recording_seconds"))),
    );
    expect(billed.length).toBe(2);
  });
});
