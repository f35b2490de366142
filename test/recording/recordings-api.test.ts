import { DeleteObjectCommand, HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { and, eq } from "drizzle-orm";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  recordingPrefix,
  recordingReportAudience,
  recordingReportPath,
  type CompositionReport,
} from "../../protocol/recording-composition.ts";
import { chatMessages, participants, recordings, usageRecords, webhookEvents } from "../../schema/index.ts";
import { loadOrCreateSecrets, recordingsBucket } from "../../scripts/lib/local-config.ts";
import { localS3Client } from "../../scripts/services/s3.ts";
import type { ServerFrame } from "../../protocol/server-frames.ts";
import { RoomClient } from "../support/room-client.ts";
import { api, createMeeting, expectProblem, mintToken, newTenant, withDatabase, workerUrl } from "../support/stack.ts";
import { scheduledUrl } from "../../scripts/services/worker.ts";

// The recordings API against the real Worker, Postgres and S3: the compositor's report (signed like the Lambda signs
// it) turns a processing recording ready; listing, search, detail with signed URLs, HLS playback through signed
// playlists, deletion, retention; what another tenant, a bad token and bad input get. Capture itself (room,
// recorder, compositor together) is test/recording/recording-pipeline.test.ts.

type Tenant = { apiKey: string; tenantId: string };
let owner: Tenant;
let stranger: Tenant;
let meetingId: string;
let s3: ReturnType<typeof localS3Client>;
let reportSecret: string;

const master = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=426x240", "240p/index.m3u8", ""].join("\n");
const variant = [
  "#EXTM3U",
  "#EXT-X-VERSION:7",
  "#EXT-X-TARGETDURATION:2",
  '#EXT-X-MAP:URI="init.mp4"',
  "#EXTINF:2.0,",
  "seg-00000.m4s",
  "#EXT-X-ENDLIST",
  "",
].join("\n");

async function reportToken(overrides: { audience?: string; secret?: string; expiresIn?: number } = {}) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: "HS256" })
    .setAudience(overrides.audience ?? recordingReportAudience)
    .setIssuedAt(now)
    .setExpirationTime(now + (overrides.expiresIn ?? 120))
    .sign(new TextEncoder().encode(overrides.secret ?? reportSecret));
}

async function postReport(report: CompositionReport, token?: string) {
  return fetch(`${workerUrl}${recordingReportPath}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token ?? (await reportToken())}` },
    body: JSON.stringify(report),
  });
}

/** A recording the recorder has stopped: a `processing` row and its objects, as capture and compositing leave them. */
async function processingRecording(tenant: Tenant, meeting: string, title: string, startedAt: Date) {
  const id = crypto.randomUUID();
  await withDatabase((db) =>
    db.insert(recordings).values({
      id,
      tenantId: tenant.tenantId,
      meetingId: meeting,
      status: "processing",
      title,
      startedBy: "host",
      startedAt,
      endedAt: new Date(startedAt.getTime() + 60_000),
      manifestKey: `${recordingPrefix(tenant.tenantId, id)}manifest.json`,
    }),
  );
  const prefix = recordingPrefix(tenant.tenantId, id);
  const put = (key: string, body: string | Uint8Array, contentType: string) =>
    s3.send(new PutObjectCommand({ Bucket: recordingsBucket, Key: `${prefix}${key}`, Body: body, ContentType: contentType }));
  await put("composite.mp4", new Uint8Array(2048).fill(7), "video/mp4");
  await put("hls/master.m3u8", master, "application/vnd.apple.mpegurl");
  await put("hls/240p/index.m3u8", variant, "application/vnd.apple.mpegurl");
  await put("hls/240p/init.mp4", new Uint8Array(64).fill(1), "video/mp4");
  await put("hls/240p/seg-00000.m4s", new Uint8Array(512).fill(2), "video/iso.segment");
  const ready: CompositionReport = {
    outcome: "ready",
    tenantId: tenant.tenantId as never,
    recordingId: id,
    durationMs: 58_000,
    renditions: [
      {
        kind: "mp4",
        objectKey: `${prefix}composite.mp4`,
        contentType: "video/mp4",
        sizeBytes: 2048,
        width: 1920,
        height: 1080,
        durationMs: 58_000,
      },
      {
        kind: "hls",
        objectKey: `${prefix}hls/master.m3u8`,
        contentType: "application/vnd.apple.mpegurl",
        sizeBytes: 600,
        width: 426,
        height: 240,
        durationMs: 58_000,
      },
    ],
    problems: [{ code: "track_missing", message: "the camera of carol has no chunks", trackId: "TR_carol" }],
  };
  return { id, prefix, ready };
}

const exists = (key: string) =>
  s3.send(new HeadObjectCommand({ Bucket: recordingsBucket, Key: key })).then(
    () => true,
    () => false,
  );

let ready: Awaited<ReturnType<typeof processingRecording>>;
let other: Awaited<ReturnType<typeof processingRecording>>;

beforeAll(async () => {
  const secrets = await loadOrCreateSecrets();
  reportSecret = secrets.recordingReportSecret;
  s3 = localS3Client(secrets);
  [owner, stranger] = await Promise.all([newTenant("recordings"), newTenant("recordings stranger")]);
  meetingId = (await createMeeting(owner.apiKey, { title: "Quarterly planning" })).id;
  const startedAt = new Date(Date.now() - 10 * 60_000);
  await withDatabase(async (db) => {
    await db.insert(participants).values([
      { tenantId: owner.tenantId, meetingId, identity: "ada", displayName: "Ada Lovelace", role: "host", joinedAt: startedAt },
      { tenantId: owner.tenantId, meetingId, identity: "bob", displayName: "Bob Marley", role: "participant", joinedAt: startedAt },
    ]);
    await db.insert(chatMessages).values({
      tenantId: owner.tenantId,
      meetingId,
      clientMessageId: "c1",
      seq: 1,
      senderIdentity: "ada",
      body: "the budget for the lighthouse project",
      createdAt: new Date(startedAt.getTime() + 10_000),
    });
  });
  ready = await processingRecording(owner, meetingId, "Quarterly planning", startedAt);
  other = await processingRecording(owner, meetingId, "Retro", new Date(startedAt.getTime() + 120_000));
});

afterAll(async () => {
  for (const r of [ready, other])
    if (r) await s3.send(new DeleteObjectCommand({ Bucket: recordingsBucket, Key: `${r.prefix}composite.mp4` }));
});

describe("the compositor's report", () => {
  it("refuses a missing, forged, wrong-audience or expired token, and a bad body", async () => {
    const report = ready.ready;
    const bare = await fetch(`${workerUrl}${recordingReportPath}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(report),
    });
    await expectProblem(bare, 401, "unauthorized");
    await expectProblem(await postReport(report, await reportToken({ secret: "x".repeat(40) })), 401, "unauthorized");
    await expectProblem(await postReport(report, await reportToken({ audience: "recorder" })), 401, "unauthorized");
    await expectProblem(await postReport(report, await reportToken({ expiresIn: -10 })), 401, "unauthorized");
    await expectProblem(await postReport({ ...report, durationMs: -1 }), 400, "validation_failed");
    const row = await withDatabase((db) => db.select().from(recordings).where(eq(recordings.id, ready.id)));
    expect(row[0]?.status).toBe("processing");
  });

  it("makes the recording ready once: renditions, search document, webhook event, billed length", async () => {
    const first = await postReport(ready.ready);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ applied: true });
    const again = await postReport(ready.ready);
    expect(await again.json()).toEqual({ applied: false });
    const [row] = await withDatabase((db) => db.select().from(recordings).where(eq(recordings.id, ready.id)));
    expect(row).toMatchObject({ status: "ready", durationMs: 58_000, sizeBytes: 2048 + 600, objectKey: `${ready.prefix}composite.mp4` });
    expect(row?.participantNames).toEqual(["Ada Lovelace", "Bob Marley"]);
    const events = await withDatabase((db) =>
      db
        .select()
        .from(webhookEvents)
        .where(and(eq(webhookEvents.tenantId, owner.tenantId), eq(webhookEvents.type, "recording.ready"))),
    );
    expect(events).toHaveLength(1);
    const usage = await withDatabase((db) =>
      db
        .select()
        .from(usageRecords)
        .where(and(eq(usageRecords.tenantId, owner.tenantId), eq(usageRecords.kind, "composited_seconds"))),
    );
    expect(usage.map((u) => u.quantity)).toEqual([58_000]);
    expect(
      (
        await postReport({
          outcome: "failed",
          tenantId: owner.tenantId as never,
          recordingId: other.id,
          error: "ffmpeg exited 1",
          problems: [],
        })
      ).status,
    ).toBe(200);
  });

  it("tells the hosts still in the meeting, with a playback link", async () => {
    // A tenant of its own: the listing tests below count this tenant's recordings.
    const notified = await newTenant("recordings notified");
    const live = await createMeeting(notified.apiKey, { title: "Still here" });
    const host = await RoomClient.join((await mintToken(notified.apiKey, live.id, { identity: "host", role: "host" })).connectUrl);
    const guest = await RoomClient.join((await mintToken(notified.apiKey, live.id, { identity: "guest", role: "participant" })).connectUrl);
    try {
      const done = await processingRecording(notified, live.id, "Still here", new Date());
      expect((await postReport(done.ready)).status).toBe(200);
      const frame = await host.next<Extract<ServerFrame, { type: "recording_ready" }>>((f) => f.type === "recording_ready", 10_000);
      expect(frame.recordingId).toBe(done.id);
      expect((await fetch(frame.playbackUrl)).status).toBe(200);
      expect(guest.ofType("recording_ready")).toEqual([]);
    } finally {
      host.socket.close(1000);
      guest.socket.close(1000);
    }
  });

  it("a report for another tenant's recording changes nothing", async () => {
    const forged = await postReport({ ...other.ready, tenantId: stranger.tenantId as never });
    expect(await forged.json()).toEqual({ applied: false });
  });
});

describe("listing and search", () => {
  it("lists newest first, filters by meeting, participant and date, and searches title, names and chat", async () => {
    const list = async (query = "") => {
      const response = await api(`/v1/recordings${query}`, { key: owner.apiKey });
      expect(response.status).toBe(200);
      return (await response.json()) as { data: { id: string; status: string }[]; nextCursor: string | null };
    };
    expect((await list()).data.map((r) => r.id)).toEqual([other.id, ready.id]);
    const first = await list("?limit=1");
    expect(first.data.map((r) => r.id)).toEqual([other.id]);
    expect((await list(`?limit=1&cursor=${first.nextCursor}`)).data.map((r) => r.id)).toEqual([ready.id]);
    expect((await list(`?meetingId=${meetingId}`)).data).toHaveLength(2);
    expect((await list("?participant=Bob%20Marley")).data.map((r) => r.id)).toEqual([ready.id]);
    expect((await list("?q=lighthouse")).data.map((r) => r.id)).toEqual([ready.id]);
    expect((await list("?q=quarterly")).data.map((r) => r.id)).toEqual([ready.id]);
    expect((await list("?q=lovelace")).data.map((r) => r.id)).toEqual([ready.id]);
    expect((await list("?q=nothing-like-this")).data).toEqual([]);
    expect((await list(`?from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).data).toEqual([]);
  });

  it("refuses bad queries with clear problems", async () => {
    await expectProblem(await api("/v1/recordings?cursor=nope", { key: owner.apiKey }), 400, "validation_failed");
    await expectProblem(await api("/v1/recordings?limit=0", { key: owner.apiKey }), 400, "validation_failed");
    await expectProblem(await api("/v1/recordings?from=yesterday", { key: owner.apiKey }), 400, "validation_failed");
    await expectProblem(await api("/v1/recordings/not-a-uuid", { key: owner.apiKey }), 400, "validation_failed");
    await expectProblem(await api("/v1/recordings"), 401, "unauthorized");
  });
});

describe("detail and playback", () => {
  it("gives renditions with short-lived URLs that fetch, and an HLS playlist whose every reference is signed", async () => {
    const response = await api(`/v1/recordings/${ready.id}`, { key: owner.apiKey });
    expect(response.status).toBe(200);
    const detail = (await response.json()) as { status: string; problems: unknown[]; renditions: { kind: string; url: string }[] };
    expect(detail.status).toBe("ready");
    expect(detail.problems).toEqual([{ code: "track_missing", message: "the camera of carol has no chunks", trackId: "TR_carol" }]);
    const mp4 = detail.renditions.find((r) => r.kind === "mp4")!;
    expect(new URL(mp4.url).searchParams.get("X-Amz-Signature")).toBeTruthy();
    expect((await fetch(mp4.url)).status).toBe(200);
    const hls = detail.renditions.find((r) => r.kind === "hls")!;
    const masterText = await (await fetch(hls.url)).text();
    const variantUrl = masterText.split("\n").find((line) => line.startsWith("http"))!;
    expect(variantUrl).toContain("/playback/hls~240p~index.m3u8");
    const variantText = await (await fetch(variantUrl)).text();
    const init = /URI="([^"]+)"/.exec(variantText)![1]!;
    const segment = variantText.split("\n").find((line) => line.startsWith("http"))!;
    expect((await fetch(init)).status).toBe(200);
    const bytes = new Uint8Array(await (await fetch(segment)).arrayBuffer());
    expect(bytes.length).toBe(512);
  });

  it("refuses a tampered, expired or other-recording playback link", async () => {
    const detail = (await (await api(`/v1/recordings/${ready.id}`, { key: owner.apiKey })).json()) as {
      renditions: { kind: string; url: string }[];
    };
    const url = new URL(detail.renditions.find((r) => r.kind === "hls")!.url);
    const tampered = new URL(url);
    tampered.searchParams.set("exp", String(Number(url.searchParams.get("exp")) + 1));
    await expectProblem(await fetch(tampered), 401, "unauthorized");
    const moved = new URL(url.toString().replace(ready.id, other.id));
    await expectProblem(await fetch(moved), 401, "unauthorized");
    const foreign = new URL(url);
    foreign.searchParams.set("t", stranger.tenantId);
    await expectProblem(await fetch(foreign), 401, "unauthorized");
    const escaping = new URL(url.toString().replace("master.m3u8", "..~..~x.m3u8"));
    await expectProblem(await fetch(escaping), 404, "not_found");
  });
});

describe("another tenant", () => {
  it("cannot list, read, delete or control this tenant's recordings", async () => {
    const list = (await (await api(`/v1/recordings?meetingId=${meetingId}`, { key: stranger.apiKey })).json()) as { data: unknown[] };
    expect(list.data).toEqual([]);
    await expectProblem(await api(`/v1/recordings/${ready.id}`, { key: stranger.apiKey }), 404, "not_found");
    await expectProblem(await api(`/v1/recordings/${ready.id}`, { key: stranger.apiKey, method: "DELETE" }), 404, "not_found");
    await expectProblem(
      await api(`/v1/meetings/${meetingId}/recordings/${ready.id}/stop`, { key: stranger.apiKey, method: "POST" }),
      404,
      "not_found",
    );
    await expectProblem(await api(`/v1/meetings/${meetingId}/recordings`, { key: stranger.apiKey, body: {} }), 404, "not_found");
    expect(await exists(`${ready.prefix}composite.mp4`)).toBe(true);
  });
});

describe("starting and controlling", () => {
  it("refuses a meeting nobody is in, bad bodies and unknown recordings", async () => {
    const empty = await createMeeting(owner.apiKey, { title: "Empty" });
    await expectProblem(await api(`/v1/meetings/${empty.id}/recordings`, { key: owner.apiKey, body: {} }), 409, "meeting_not_live");
    await expectProblem(
      await api(`/v1/meetings/${empty.id}/recordings`, { key: owner.apiKey, body: { layout: "mosaic" } }),
      400,
      "validation_failed",
    );
    await expectProblem(
      await api(`/v1/meetings/${empty.id}/recordings`, { key: owner.apiKey, body: { extra: 1 } }),
      400,
      "validation_failed",
    );
    await expectProblem(
      await api(`/v1/meetings/${empty.id}/recordings/${crypto.randomUUID()}/pause`, { key: owner.apiKey, method: "POST" }),
      404,
      "not_found",
    );
    await expectProblem(
      await api(`/v1/meetings/${empty.id}/recordings/${ready.id}/rewind`, { key: owner.apiKey, method: "POST" }),
      400,
      "validation_failed",
    );
  });

  it("a live meeting's participants are told before anything else happens; a second start is refused", async () => {
    const live = await createMeeting(owner.apiKey, { title: "Live one" });
    const host = await RoomClient.join((await mintToken(owner.apiKey, live.id, { identity: "host", role: "host" })).connectUrl);
    try {
      const started = await api(`/v1/meetings/${live.id}/recordings`, { key: owner.apiKey, body: { layout: "speaker" } });
      expect(started.status).toBe(202);
      const body = (await started.json()) as { id: string; live: { phase: string; layout: string } };
      expect(body.live).toMatchObject({ phase: "starting", layout: "speaker" });
      const told = await host.next((f) => f.type === "recording_state");
      expect(told).toMatchObject({ recording: { recordingId: body.id, phase: "starting", startedBy: "api" } });
      const row = await api(`/v1/recordings/${body.id}`, { key: owner.apiKey });
      expect(((await row.json()) as { status: string }).status).toMatch(/recording|failed/);
      const second = await api(`/v1/meetings/${live.id}/recordings`, { key: owner.apiKey, body: {} });
      if (second.status !== 202) await expectProblem(second, 409, "recording_in_progress");
    } finally {
      host.socket.close(1000);
    }
  });
});

describe("deletion and retention", () => {
  it("deletes a finished recording's objects and rows; a repeat is not found", async () => {
    expect((await api(`/v1/recordings/${other.id}`, { key: owner.apiKey, method: "DELETE" })).status).toBe(204);
    expect(await exists(`${other.prefix}hls/master.m3u8`)).toBe(false);
    await expectProblem(await api(`/v1/recordings/${other.id}`, { key: owner.apiKey }), 404, "not_found");
    await expectProblem(await api(`/v1/recordings/${other.id}`, { key: owner.apiKey, method: "DELETE" }), 404, "not_found");
  });

  it("the daily job removes recordings older than the tenant's retention, and only those", async () => {
    await expectProblem(
      await api("/v1/recording-policy", { key: owner.apiKey, method: "PUT", body: { retentionDays: 0 } }),
      400,
      "validation_failed",
    );
    const set = await api("/v1/recording-policy", { key: owner.apiKey, method: "PUT", body: { retentionDays: 1 } });
    expect(await set.json()).toEqual({ retentionDays: 1 });
    expect(await (await api("/v1/recording-policy", { key: stranger.apiKey })).json()).toEqual({ retentionDays: null });
    const young = await processingRecording(owner, meetingId, "Young", new Date());
    await postReport(young.ready);
    await withDatabase((db) =>
      db
        .update(recordings)
        .set({ createdAt: new Date(Date.now() - 2 * 86_400_000) })
        .where(eq(recordings.id, ready.id)),
    );
    expect((await fetch(scheduledUrl("17 3 * * *"))).status).toBe(200);
    const gone = async () => (await api(`/v1/recordings/${ready.id}`, { key: owner.apiKey })).status;
    const deadline = Date.now() + 15_000;
    while ((await gone()) !== 404 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    expect(await gone()).toBe(404);
    expect(await exists(`${ready.prefix}composite.mp4`)).toBe(false);
    expect((await api(`/v1/recordings/${young.id}`, { key: owner.apiKey })).status).toBe(200);
  });
});
