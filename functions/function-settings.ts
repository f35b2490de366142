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

/** SST's handler string: the source path without its extension, then the export. */
export const sstHandler = (fn: FunctionSettings): string => `${fn.source.replace(/\.ts$/, "")}.${handlerExport}`;
