/**
 * How each Lambda runs, in one place: sst.config.ts deploys these settings and the local runner
 * (scripts/services/lambda.ts) gives its emulators the same handler, memory and timeout.
 */
export interface FunctionSettings {
  /** SST resource name (the deployed function's name is derived from it). */
  resource: string;
  /** Local name: AWS_LAMBDA_FUNCTION_NAME, daemon and bundle directory of the local runner. */
  name: string;
  /** Source file, relative to the repository root, exporting `handler`. */
  source: string;
  memoryMb: number;
  timeoutSeconds: number;
}

/** Every function runs on this managed runtime; the local runner uses Node 24 to match. */
export const lambdaRuntime = "nodejs24.x";
export const lambdaArchitecture = "arm64";
/** The export every handler file provides (SST's `file.export`, the runtime's `_HANDLER`). */
export const handlerExport = "handler";

export const analyticsIngest: FunctionSettings = {
  resource: "AnalyticsIngest",
  name: "analytics-ingest",
  source: "functions/analytics-ingest/handler.ts",
  memoryMb: 1024,
  timeoutSeconds: 60,
};

/**
 * One function, two kinds of invocation: `compose` orchestrates a recording (it waits for its segments, so its
 * timeout is Lambda's maximum; a 4-hour meeting's segments take ~2-3 minutes in waves), `segment` composites 60 s
 * of output and encodes it five ways (the 1080p composite, three lower HLS rungs, VP8): about 150-170 CPU-seconds
 * measured here, so with 6 vCPUs (10,240 MB is the size Lambda gives 6) a segment takes well under a minute, far
 * from the 15-minute limit. Memory buys CPU on Lambda, and at a fixed amount of CPU work the cost per recording is
 * about the same at any size, so the largest size costs nothing extra and makes recordings ready soonest.
 */
export const recordingCompositor: FunctionSettings = {
  resource: "RecordingCompositor",
  name: "recording-compositor",
  source: "functions/recording-compositor/handler.ts",
  memoryMb: 10_240,
  timeoutSeconds: 900,
};

/** SST's handler string: the source path without its extension, then the export. */
export const sstHandler = (fn: FunctionSettings): string => `${fn.source.replace(/\.ts$/, "")}.${handlerExport}`;
