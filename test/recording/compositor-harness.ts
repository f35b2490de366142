import fs from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { jwtVerify } from "jose";
import pg from "pg";
import { recordingCompositor } from "../../functions/function-settings.ts";
import { CompositionReport, manifestKeyOf, recordingPrefix, recordingReportAudience } from "../../protocol/recording-composition.ts";
import { databaseUrl, host, loadOrCreateSecrets, ports, recordingsBucket } from "../../scripts/lib/local-config.ts";
import { localLambdaService, recordingCompositorInstance } from "../../scripts/services/lambda.ts";
import { localS3Client } from "../../scripts/services/s3.ts";
import { LocalLambda } from "../support/lambda.ts";
import { poll } from "../support/poll.ts";
import { newTenant } from "../support/stack.ts";

/**
 * The compositor under test: its own instance on the local runtime (three emulators, as the stack runs it, on
 * their own ports, 2-second segments so recordings of a few seconds have several), reporting to a loopback receiver
 * here that checks each report's bearer token the way the API must. Until the Worker's report route exists, this
 * receiver stands in for it; everything else is the real stack: S3, Postgres, ffmpeg, the emulators.
 */
export const compositorUnderTest = recordingCompositorInstance({
  settings: { ...recordingCompositor, name: "recording-compositor-test", timeoutSeconds: 180 },
  emulators: 3,
  invokePort: ports.recordingCompositorTest,
  runtimeApiPort: ports.recordingCompositorTestRuntimeApi,
  reportUrl: `http://${host}:${ports.recordingReportTestReceiver}/internal/recordings/composition`,
  segmentSeconds: 2,
});

export interface ReceivedReport {
  report: CompositionReport;
  claims: { aud?: unknown; exp?: number; iat?: number; tenantId?: unknown; sub?: unknown };
}

export async function compositorHarness() {
  const secrets = await loadOrCreateSecrets();
  const service = localLambdaService("lambda-recording-compositor-test", [compositorUnderTest]);
  await service.up(secrets);
  const lambda = new LocalLambda(compositorUnderTest);
  const s3 = localS3Client(secrets);
  const pool = new pg.Pool({ connectionString: databaseUrl(secrets), max: 2 });
  const key = new TextEncoder().encode(secrets.recordingReportSecret);

  const reports = new Map<string, ReceivedReport[]>();
  const refused: string[] = [];
  const receiver = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    try {
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1] ?? "";
      const { payload } = await jwtVerify(token, key, { audience: recordingReportAudience, algorithms: ["HS256"] });
      const report = CompositionReport.parse(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      if (payload.sub !== report.recordingId || payload.tenantId !== report.tenantId) throw new Error("token for another recording");
      reports.set(report.recordingId, [...(reports.get(report.recordingId) ?? []), { report, claims: payload }]);
      res.writeHead(204).end();
    } catch (error) {
      refused.push((error as Error).message);
      res.writeHead(401).end();
    }
  });
  await new Promise<void>((resolve) => receiver.listen(ports.recordingReportTestReceiver, host, resolve));

  const tenant = await newTenant("compositor");
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), "compositor-test-"));

  /** A processing recording row (the compositor's rows reference it), its id and its manifest key. */
  async function newRecording(): Promise<{ recordingId: string; manifestKey: string; prefix: string }> {
    const meeting = await pool.query<{ id: string }>(
      `INSERT INTO meetings (tenant_id, title) VALUES ($1, 'compositor test') RETURNING id`,
      [tenant.tenantId],
    );
    const recording = await pool.query<{ id: string }>(
      `INSERT INTO recordings (tenant_id, meeting_id, status) VALUES ($1, $2, 'processing') RETURNING id`,
      [tenant.tenantId, meeting.rows[0]!.id],
    );
    const recordingId = recording.rows[0]!.id;
    return { recordingId, manifestKey: manifestKeyOf(tenant.tenantId, recordingId), prefix: recordingPrefix(tenant.tenantId, recordingId) };
  }

  const put = async (objectKey: string, body: Uint8Array | string, contentType = "application/octet-stream") => {
    await s3.send(new PutObjectCommand({ Bucket: recordingsBucket, Key: objectKey, Body: body, ContentType: contentType }));
  };
  const upload = async (objectKey: string, file: string) => put(objectKey, await fs.readFile(file));

  async function download(objectKey: string): Promise<string> {
    const object = await s3.send(new GetObjectCommand({ Bucket: recordingsBucket, Key: objectKey }));
    const file = path.join(scratch, objectKey.replaceAll("/", "_"));
    await fs.writeFile(file, await object.Body!.transformToByteArray());
    return file;
  }

  async function keysUnder(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: recordingsBucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) keys.push(o.Key!);
      token = page.NextContinuationToken;
    } while (token);
    return keys.sort();
  }

  async function waitForReport(recordingId: string, count = 1, timeoutMs = 240_000): Promise<ReceivedReport[]> {
    return poll(
      async () => reports.get(recordingId) ?? [],
      (r) => r.length >= count,
      timeoutMs,
      500,
    );
  }

  async function rows(recordingId: string) {
    const segments = await pool.query<{ index: number; object_key: string; frames: number; status: string; attempts: number }>(
      `SELECT index, object_key, frames, status, attempts FROM recording_segments WHERE recording_id = $1 ORDER BY index`,
      [recordingId],
    );
    const renditions = await pool.query<{
      kind: string;
      object_key: string;
      size_bytes: string;
      width: number | null;
      height: number | null;
    }>(
      `SELECT kind::text, object_key, size_bytes::text, width, height FROM recording_renditions WHERE recording_id = $1 ORDER BY kind, object_key`,
      [recordingId],
    );
    return { segments: segments.rows, renditions: renditions.rows };
  }

  async function close() {
    // The suite's own emulators go with it: left running, they hold their ports against the next checkout's run.
    await service.down();
    lambda.destroy();
    s3.destroy();
    await pool.end();
    await new Promise((resolve) => receiver.close(resolve));
    await fs.rm(scratch, { recursive: true, force: true });
  }

  return {
    secrets,
    service,
    lambda,
    tenantId: tenant.tenantId as string,
    scratch,
    refused,
    newRecording,
    put,
    upload,
    download,
    keysUnder,
    waitForReport,
    rows,
    close,
  };
}

export type CompositorHarness = Awaited<ReturnType<typeof compositorHarness>>;
