import { S3Client } from "@aws-sdk/client-s3";
import pg from "pg";
import { CompositorEvent, recordingPrefix } from "../../protocol/recording-composition.ts";
import { isWarmupEvent, warmupAnswer } from "../warmup.ts";
import { readConfig } from "./config.ts";
import { badEvent, type CompositorResult } from "./result.ts";
import { composeRecording } from "./shell/compose.ts";
import { Media } from "./shell/media.ts";
import type { CompositorPorts } from "./shell/ports.ts";
import { ReportPoster } from "./shell/report-poster.ts";
import { RecordingObjects } from "./shell/s3-objects.ts";
import { composeSegment } from "./shell/segment.ts";
import { SegmentInvoker } from "./shell/segment-invoker.ts";
import { SegmentProgress } from "./shell/segment-progress.ts";

/**
 * The recording compositor: `compose` (the API's asynchronous invocation when a recording stops) orchestrates a
 * whole recording; `segment` (compose's own invocations, in parallel) composites one segment. A bad event is
 * answered with a clear error, never thrown: an asynchronous invocation that throws would be retried for nothing.
 */

const fn = "recording-compositor";
const config = readConfig(process.env);

// One connection per container (one invocation at a time), kept between invocations.
const pool = new pg.Pool({
  connectionString: config.databaseUrl,
  max: 1,
  application_name: fn,
  connectionTimeoutMillis: 5_000,
  idleTimeoutMillis: 0,
  keepAlive: true,
  statement_timeout: 20_000,
});
pool.on("error", (error) => console.error(JSON.stringify({ fn, idleConnectionError: error.message })));

const ports: CompositorPorts = {
  config,
  objects: new RecordingObjects(
    new S3Client({ endpoint: config.s3.endpoint, region: config.s3.region, forcePathStyle: config.s3.forcePathStyle }),
    config.bucket,
  ),
  progress: new SegmentProgress(pool),
  invoker: new SegmentInvoker(config.segments.functionName, config.s3.region, config.segments.endpoints),
  media: new Media(config.ffmpegPath, config.ffprobePath),
  reporter: new ReportPoster(config.report.url, config.report.secret),
  log: (fields) => console.log(JSON.stringify({ fn, ...fields })),
};

export async function handler(event: unknown): Promise<CompositorResult | typeof warmupAnswer> {
  if (isWarmupEvent(event)) return warmupAnswer;
  const parsed = CompositorEvent.safeParse(event);
  if (!parsed.success) {
    const result = badEvent(parsed.error);
    ports.log({ event: "bad_event", issues: result.error.issues.length });
    return result;
  }
  const e = parsed.data;
  // Tenant and recording travel beside the key: a key outside the recording's own prefix is refused.
  if (!e.manifestKey.startsWith(recordingPrefix(e.tenantId, e.recordingId))) {
    return {
      ok: false,
      error: {
        code: "bad_event",
        message: "invalid compositor event: manifestKey: must lie under the recording's prefix",
        issues: [{ path: "manifestKey", message: "must lie under the recording's prefix" }],
      },
    };
  }
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  switch (e.kind) {
    case "compose": {
      const report = await composeRecording(e, ports);
      ports.log({ event: "composed", recordingId: e.recordingId, outcome: report.outcome, problems: report.problems.length, ms: ms() });
      return { ok: true, kind: "compose", report };
    }
    case "segment": {
      try {
        const result = await composeSegment(e, ports);
        ports.log({ event: "segment_done", recordingId: e.recordingId, index: e.index, attempt: result.attempts, ms: ms() });
        return result;
      } catch (error) {
        ports.log({ event: "segment_failed", recordingId: e.recordingId, index: e.index, error: (error as Error).message, ms: ms() });
        throw error;
      }
    }
    default:
      return e satisfies never;
  }
}
