import { readFileSync } from "node:fs";
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
import { probeNode } from "../../media-fleet/livekit/node-health.ts";
import { runningPid } from "../../scripts/lib/daemon.ts";
import { loadOrCreateSecrets, recordingsBucket } from "../../scripts/lib/local-config.ts";
import { livekitBService, livekitNodes, livekitService, type LocalLivekitNode } from "../../scripts/services/livekit.ts";
import { localRecorders, recorderService, recorderUrl, type LocalRecorder } from "../../scripts/services/recorder.ts";
import { localS3Client } from "../../scripts/services/s3.ts";
import { LiveKitBot } from "../support/livekit-bot.ts";
import { poll } from "../support/poll.ts";
import { RoomClient } from "../support/room-client.ts";
import { api, createMeeting, mintToken, newTenant } from "../support/stack.ts";
import { colourAt, colourName, probe } from "../recording/compositor-media.ts";

// A recording survives the death of its track recorder, and follows its meeting to another SFU node: a meeting recorded through the real Worker and room, an
// rtc-node bot publishing red, and the local stack's two recorders. The recorder holding the capture is killed
// (SIGKILL). The room must notice (its checks on the alarm), continue the same recording on the other recorder,
// say so on the page (interrupted, then a gap), and the composite must show the bot's colour before the kill and
// after it, with the lost span listed in the manifest and among the recording's problems. The killed recorder is
// brought back afterwards, whatever happened, so later suites find both. Then the meeting's LiveKit node is killed
// (as media-failover.test.ts does): the page follows the room to the other node, and so must the capture.

type SfuJoin = Extract<ServerFrame, { type: "sfu_join" }>;
type Indicator = Extract<ServerFrame, { type: "recording_state" }>["recording"];
const red: [number, number, number] = [81, 90, 240];
const clients: RoomClient[] = [];
const bots: LiveKitBot[] = [];
let killed: { recorder: LocalRecorder; pid: number } | undefined;
let killedNode: { node: LocalLivekitNode; pid: number } | undefined;
let workDir: string | undefined;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

afterAll(async () => {
  for (const bot of bots) await bot.disconnect().catch(() => undefined);
  for (const client of clients) client.close();
  await dispose();
  if (workDir) await rm(workDir, { recursive: true, force: true });
  // Whatever failed, the stack is made whole again for the suites after this one.
  if (killedNode) {
    const { node, pid } = killedNode;
    await waitUntilGone(node.service, pid);
    await (node.service === livekitService.name ? livekitService : livekitBService).up(await loadOrCreateSecrets());
    await poll(
      () => probeNode(node.url),
      (probe) => probe.healthy,
      30_000,
      200,
    );
  }
  if (killed) {
    const { pid, recorder } = killed;
    await waitUntilGone(recorder.name, pid);
    await recorderService.up(await loadOrCreateSecrets());
    const healthy = () =>
      fetch(`${recorderUrl(recorder)}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
    await poll(healthy, (ok) => ok, 30_000);
  }
}, 120_000);

/**
 * Waits until the killed daemon is gone, so its ports are free for the restart. Its pid file may stay: the file
 * also holds the process's start time, so a reused pid is not taken for the daemon (scripts/lib/daemon.ts).
 */
async function waitUntilGone(name: string, pid: number): Promise<void> {
  const command = name.startsWith("recorder") ? "track-recorder" : "livekit-server";
  const ours = () => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(command);
    } catch {
      return false;
    }
  };
  await poll(
    async () => ours(),
    (alive) => !alive,
    10_000,
    50,
  );
}

type Detail = {
  status: string;
  error: string | null;
  durationMs: number | null;
  problems: { code: string; message: string }[];
  renditions: { kind: string; url: string }[];
};

async function meetingRecordingRed(label: string) {
  const { apiKey, tenantId } = await newTenant(label);
  const meeting = await createMeeting(apiKey, { title: label });
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
  return { apiKey, tenantId, meeting, host, ada, adaJoin, adaBot, recordingId };
}

/** Stops the recording, waits until it is composited, and reads its manifest and MP4. */
async function stopAndRead(apiKey: string, tenantId: string, meetingId: string, recordingId: string, host: RoomClient) {
  const stopped = await api(`/v1/meetings/${meetingId}/recordings/${recordingId}/stop`, { key: apiKey, method: "POST" });
  expect(stopped.status).toBe(200);
  await host.next((f) => f.type === "recording_state" && f.recording === null, 60_000);
  const read = async () => (await (await api(`/v1/recordings/${recordingId}`, { key: apiKey })).json()) as Detail;
  // The local stack composes one recording at a time, and other suites' recordings may be queued before this one.
  const detail = await poll(read, (d) => d.status === "ready" || d.status === "failed", 480_000, 1_000);
  expect(detail.status, detail.error ?? "").toBe("ready");
  const s3 = localS3Client(await loadOrCreateSecrets());
  const prefix = recordingPrefix(tenantId, recordingId);
  const body = await (
    await s3.send(new GetObjectCommand({ Bucket: recordingsBucket, Key: `${prefix}manifest.json` }))
  ).Body!.transformToString();
  const manifest = RecordingManifest.parse(JSON.parse(body));
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: recordingsBucket, Prefix: `${prefix}tracks/` }));
  const stored = new Set((listed.Contents ?? []).map((o) => o.Key));
  for (const file of manifest.tracks.flatMap((t) => t.files)) expect(stored.has(file.key), file.key).toBe(true);
  s3.destroy();
  workDir ??= await mkdtemp(path.join(tmpdir(), "recorder-loss-"));
  const mp4 = path.join(workDir, `${recordingId}.mp4`);
  await writeFile(mp4, new Uint8Array(await (await fetch(detail.renditions.find((r) => r.kind === "mp4")!.url)).arrayBuffer()));
  const seconds = Number((await probe(mp4)).format.duration);
  // No pauses: output time is wall time from the manifest's start.
  const colourAtWall = async (wallMs: number) =>
    colourName(await colourAt(mp4, Math.min((wallMs - manifest.startedAt) / 1000, seconds - 0.1), { x: 760, y: 340, w: 400, h: 400 }));
  const camera = manifest.tracks.filter((t) => t.participant === "ada" && t.kind === "video").flatMap((t) => t.files);
  return { detail, manifest, camera, colourAtWall };
}

const middle = (f: { startedAt: number; endedAt: number }) => (f.startedAt + f.endedAt) / 2;

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
  it("continues on the other recorder, lists the lost span, and composites before and after", { timeout: 600_000 }, async () => {
    const secrets = await loadOrCreateSecrets();
    const { apiKey, tenantId, meeting, host, recordingId } = await meetingRecordingRed("recorder loss");
    await sleep(6_000);

    const holder = await holderOf(recordingId, secrets.recorderControlSecret);
    expect(holder).toBeDefined();
    const pid = runningPid(holder!.name);
    expect(pid).toBeDefined();
    killed = { recorder: holder!, pid: pid! };
    const killedAt = Date.now();
    process.kill(pid!, "SIGKILL");
    await waitUntilGone(holder!.name, pid!);

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
    expect(newHolder).toBeDefined();
    expect(newHolder!.name).not.toBe(holder!.name);
    await sleep(6_000);

    const { detail, manifest, camera, colourAtWall } = await stopAndRead(apiKey, tenantId, meeting.id, recordingId, host);
    expect(detail.problems.map((p) => p.code)).toContain("recorder_lost");
    // The manifest at the same key: one lost span, from before the kill to the continuation, ada's camera in files
    // before it and after it and none inside it.
    expect(manifest.lost).toHaveLength(1);
    const lost = manifest.lost[0]!;
    expect(lost.from).toBeLessThanOrEqual(killedAt);
    console.log(`[recording-recorder-loss] kill -9 → continued on ${newHolder!.name}: lost span ${lost.to - lost.from} ms`);
    const before = camera.filter((f) => f.endedAt <= lost.from);
    const after = camera.filter((f) => f.startedAt >= lost.to);
    expect(before.length).toBeGreaterThan(0);
    expect(after.length).toBeGreaterThan(0);
    expect(camera.filter((f) => f.startedAt < lost.to && f.endedAt > lost.from)).toEqual([]);
    // The composite: red before the kill and after the continuation; the lost span is a gap, not red.
    expect(await colourAtWall(middle(before.at(-1)!))).toBe("red");
    expect(await colourAtWall(middle(after[Math.floor(after.length / 2)]!))).toBe("red");
    expect(await colourAtWall((lost.from + lost.to) / 2)).not.toBe("red");
  });

  it("follows the meeting to another SFU node: the capture continues there, red before and after", { timeout: 600_000 }, async () => {
    const { apiKey, tenantId, meeting, host, ada, adaJoin, adaBot, recordingId } = await meetingRecordingRed("recording sfu move");
    const home = livekitNodes.find((node) => node.url.replace(/^http/, "ws") === adaJoin.url)!;
    expect(home, `the meeting's node (${adaJoin.url}) is one of the local nodes`).toBeDefined();
    const other = livekitNodes.find((node) => node !== home)!;
    expect((await probeNode(other.url)).healthy, `${other.service} must serve for the meeting to move there`).toBe(true);
    // The page reports trouble on its SFU connection, as web/src/sfu-link.ts does.
    let reported = false;
    adaBot.onConnectionTrouble(() => {
      if (reported) return;
      reported = true;
      ada.send({ type: "media_trouble" });
    });
    await sleep(6_000);

    const pid = runningPid(home.service);
    expect(pid, `${home.service} pid file`).toBeDefined();
    killedNode = { node: home, pid: pid! };
    const killedAt = Date.now();
    process.kill(pid!, "SIGKILL");
    await waitUntilGone(home.service, pid!);

    // The page follows its new credentials and publishes again on the other node.
    const after = ada.frames.indexOf(adaJoin) + 1;
    const moved = await ada.next<SfuJoin>((f) => f.type === "sfu_join" && f.url !== adaJoin.url, 30_000, after);
    void adaBot.disconnect().catch(() => undefined);
    const movedBot = await LiveKitBot.connect(moved.url, moved.token, { subscribe: false, timeoutMs: 5_000 });
    bots.push(movedBot);
    await movedBot.publishVideo({ width: 320, height: 240, fps: 15, yuv: red });
    const continued = await host.next<Extract<ServerFrame, { type: "recording_state" }>>(
      (f) => f.type === "recording_state" && !!f.recording?.gaps?.some((g) => g.reason === "sfu_moved") && !f.recording.interruptedSince,
      60_000,
    );
    const continuedAt = Date.parse((continued.recording as NonNullable<Indicator>).gaps!.at(-1)!.to);
    await sleep(8_000);

    const { detail, camera, colourAtWall } = await stopAndRead(apiKey, tenantId, meeting.id, recordingId, host);
    expect(detail.problems.map((p) => p.code)).toContain("sfu_moved");
    const before = camera.filter((f) => f.endedAt <= killedAt);
    const later = camera.filter((f) => f.startedAt >= continuedAt);
    expect(before.length).toBeGreaterThan(0);
    expect(later.length).toBeGreaterThan(0);
    expect(await colourAtWall(middle(before.at(-1)!))).toBe("red");
    expect(await colourAtWall(middle(later[Math.floor(later.length / 2)]!))).toBe("red");
  });
});
