import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { dispose } from "@livekit/rtc-node";
import { afterAll, describe, expect, it } from "vitest";
import { HttpRecorderPool } from "../../media-fleet/recorder-client/http-recorder.ts";
import { recordingPrefix } from "../../protocol/recording-composition.ts";
import { RecordingManifest } from "../../protocol/recording-manifest.ts";
import type { ServerFrame } from "../../protocol/server-frames.ts";
import { isAlive, runningPid } from "../../scripts/lib/daemon.ts";
import { loadOrCreateSecrets, recordingsBucket } from "../../scripts/lib/local-config.ts";
import { localRecorders, recorderService, recorderUrl, type LocalRecorder } from "../../scripts/services/recorder.ts";
import { localS3Client } from "../../scripts/services/s3.ts";
import { LiveKitBot } from "../support/livekit-bot.ts";
import { poll } from "../support/poll.ts";
import { RoomClient } from "../support/room-client.ts";
import { api, createMeeting, mintToken, newTenant } from "../support/stack.ts";
import { colourAt, colourName, probe } from "../recording/compositor-media.ts";

// A recording survives the death of its track recorder: a meeting recorded through the real Worker and room, an
// rtc-node bot publishing red, and the local stack's two recorders. The recorder holding the capture is killed
// (SIGKILL). The room must notice (its checks on the alarm), continue the same recording on the other recorder,
// say so on the page (interrupted, then a gap), and the composite must show the bot's colour before the kill and
// after it, with the lost span listed in the manifest and among the recording's problems. The killed recorder is
// brought back afterwards, whatever happened, so later suites find both.

type SfuJoin = Extract<ServerFrame, { type: "sfu_join" }>;
type Indicator = Extract<ServerFrame, { type: "recording_state" }>["recording"];
const red: [number, number, number] = [81, 90, 240];
const clients: RoomClient[] = [];
const bots: LiveKitBot[] = [];
let killed: { recorder: LocalRecorder; pid: number } | undefined;
let workDir: string | undefined;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

afterAll(async () => {
  for (const bot of bots) await bot.disconnect().catch(() => undefined);
  for (const client of clients) client.close();
  await dispose();
  if (workDir) await rm(workDir, { recursive: true, force: true });
  if (killed) {
    const { pid, recorder } = killed;
    await poll(
      async () => isAlive(pid),
      (alive) => !alive,
      5_000,
      50,
    );
    await recorderService.up(await loadOrCreateSecrets());
    await poll(
      () =>
        fetch(`${recorderUrl(recorder)}/healthz`).then(
          (r) => r.ok,
          () => false,
        ),
      (ok) => ok,
      30_000,
    );
  }
}, 90_000);

/** The local recorder whose control API says it holds the capture. */
async function holderOf(recordingId: string, controlSecret: string): Promise<LocalRecorder | undefined> {
  for (const recorder of localRecorders) {
    const url = recorderUrl(recorder);
    const pool = new HttpRecorderPool({ pool: [{ id: url, url }], controlSecret });
    const status = await pool.status(url, recordingId).catch(() => undefined);
    if (status && status.state !== "stopped") return recorder;
  }
  return undefined;
}

describe("a recording whose recorder dies", () => {
  it("continues on the other recorder, lists the lost span, and composites before and after", { timeout: 300_000 }, async () => {
    const secrets = await loadOrCreateSecrets();
    const { apiKey, tenantId } = await newTenant("recorder loss");
    const meeting = await createMeeting(apiKey, { title: "Recorder loss" });
    const join = async (identity: string, role: string) => {
      const client = await RoomClient.join((await mintToken(apiKey, meeting.id, { identity, role, name: identity })).connectUrl);
      client.keepAlive();
      clients.push(client);
      return client;
    };
    const host = await join("host", "host");
    const ada = await join("ada", "participant");

    const started = await api(`/v1/meetings/${meeting.id}/recordings`, { key: apiKey, body: {} });
    expect(started.status).toBe(202);
    const { id: recordingId } = (await started.json()) as { id: string };
    const adaJoin = await ada.next<SfuJoin>((f) => f.type === "sfu_join", 15_000);
    const adaBot = await LiveKitBot.connect(adaJoin.url, adaJoin.token, { subscribe: false });
    bots.push(adaBot);
    await adaBot.publishVideo({ width: 320, height: 240, fps: 15, yuv: red });
    await host.next((f) => f.type === "recording_state" && f.recording?.phase === "capturing", 20_000);
    await sleep(6_000);

    const holder = await holderOf(recordingId, secrets.recorderControlSecret);
    expect(holder).toBeDefined();
    const pid = runningPid(holder!.name);
    expect(pid).toBeDefined();
    killed = { recorder: holder!, pid: pid! };
    process.kill(pid!, "SIGKILL");

    // The page is told the capture is interrupted, then that it continues with a gap.
    const interrupted = await host.next<Extract<ServerFrame, { type: "recording_state" }>>(
      (f) => f.type === "recording_state" && !!f.recording?.interruptedSince,
      30_000,
    );
    expect(interrupted.recording).toMatchObject({ recordingId, phase: "capturing" });
    const continued = await host.next<Extract<ServerFrame, { type: "recording_state" }>>(
      (f) => f.type === "recording_state" && !!f.recording?.gaps?.length && !f.recording.interruptedSince,
      30_000,
    );
    const gap = (continued.recording as NonNullable<Indicator>).gaps![0]!;
    expect(gap.reason).toBe("recorder_lost");
    const newHolder = await holderOf(recordingId, secrets.recorderControlSecret);
    expect(newHolder?.name).not.toBe(holder!.name);
    expect(newHolder).toBeDefined();
    await sleep(6_000);

    const stopped = await api(`/v1/meetings/${meeting.id}/recordings/${recordingId}/stop`, { key: apiKey, method: "POST" });
    expect(stopped.status).toBe(200);
    await host.next((f) => f.type === "recording_state" && f.recording === null, 60_000);

    type Detail = {
      status: string;
      error: string | null;
      durationMs: number | null;
      problems: { code: string; message: string }[];
      renditions: { kind: string; url: string }[];
    };
    const read = async () => (await (await api(`/v1/recordings/${recordingId}`, { key: apiKey })).json()) as Detail;
    const detail = await poll(read, (d) => d.status === "ready" || d.status === "failed", 180_000, 1_000);
    expect(detail.status, detail.error ?? "").toBe("ready");
    expect(detail.problems.map((p) => p.code)).toContain("recorder_lost");

    // The manifest at the same key: one lost span, ada's camera in files before it and after it, all stored.
    const s3 = localS3Client(secrets);
    const prefix = recordingPrefix(tenantId, recordingId);
    const body = await (
      await s3.send(new GetObjectCommand({ Bucket: recordingsBucket, Key: `${prefix}manifest.json` }))
    ).Body!.transformToString();
    const manifest = RecordingManifest.parse(JSON.parse(body));
    expect(manifest.lost).toHaveLength(1);
    const lost = manifest.lost[0]!;
    const camera = manifest.tracks.filter((t) => t.participant === "ada" && t.kind === "video").flatMap((t) => t.files);
    const before = camera.filter((f) => f.endedAt <= lost.from);
    const after = camera.filter((f) => f.startedAt >= lost.to);
    expect(before.length).toBeGreaterThan(0);
    expect(after.length).toBeGreaterThan(0);
    expect(camera.filter((f) => f.startedAt < lost.to && f.endedAt > lost.from)).toEqual([]);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: recordingsBucket, Prefix: `${prefix}tracks/` }));
    const stored = new Set((listed.Contents ?? []).map((o) => o.Key));
    for (const file of manifest.tracks.flatMap((t) => t.files)) expect(stored.has(file.key), file.key).toBe(true);
    s3.destroy();

    // The composite: no pauses, so output time is wall time from the manifest's start. Red before the kill and after
    // the continuation; the lost span is a gap, not red.
    workDir = await mkdtemp(path.join(tmpdir(), "recorder-loss-"));
    const mp4 = path.join(workDir, "composite.mp4");
    await writeFile(mp4, new Uint8Array(await (await fetch(detail.renditions.find((r) => r.kind === "mp4")!.url)).arrayBuffer()));
    const seconds = Number((await probe(mp4)).format.duration);
    const outputAt = (wallMs: number) => (wallMs - manifest.startedAt) / 1000;
    const middle = (f: { startedAt: number; endedAt: number }) => (f.startedAt + f.endedAt) / 2;
    const tile = { x: 760, y: 340, w: 400, h: 400 };
    const sample = async (wallMs: number) => colourName(await colourAt(mp4, Math.min(outputAt(wallMs), seconds - 0.1), tile));
    expect(await sample(middle(before.at(-1)!))).toBe("red");
    expect(await sample(middle(after[Math.floor(after.length / 2)]!))).toBe("red");
    expect(await sample((lost.from + lost.to) / 2)).not.toBe("red");
  });
});
