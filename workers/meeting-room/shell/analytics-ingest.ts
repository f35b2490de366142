import { IngestResult, type AnalyticsBatch } from "../../../protocol/analytics-batch.ts";
import type { Config } from "../../env.ts";
import { lambdaFetch } from "../../aws/lambda-fetch.ts";

/** What became of one invocation: stored (possibly with refused records), refused whole, or failed (retry). */
export type IngestOutcome =
  | { kind: "stored"; result: Extract<IngestResult, { ok: true }> }
  | { kind: "invalid"; message: string }
  | { kind: "failed"; error: string };

export interface AnalyticsIngest {
  invoke(batch: AnalyticsBatch): Promise<IngestOutcome>;
}

/** The function's own timeout is 60 s; a room gives up on an invocation sooner and retries it later. */
const invokeTimeoutMs = 30_000;

/**
 * Invokes the ingestion Lambda through the Lambda Invoke API (synchronous, RequestResponse; signed as
 * `lambdaFetch` says). Locally the URL is the Runtime Interface Emulator's, which serves the same API. An error the function threw comes back as 200 with `X-Amz-Function-Error`: a failure to
 * retry, like a network error or a 5xx from the service.
 */
export function lambdaIngest(config: Config): AnalyticsIngest | null {
  const url = config.ANALYTICS_INGEST_URL;
  if (!url) return null;
  const invoke = lambdaFetch(config);
  return {
    async invoke(batch) {
      const init: RequestInit = {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(batch),
        signal: AbortSignal.timeout(invokeTimeoutMs),
      };
      let response: Response;
      try {
        response = await invoke(url, init);
      } catch (error) {
        return { kind: "failed", error: error instanceof Error ? error.name : "fetch failed" };
      }
      const body = await response.text().catch(() => "");
      if (!response.ok) return { kind: "failed", error: `invoke answered ${response.status}` };
      const functionError = response.headers.get("x-amz-function-error");
      if (functionError) return { kind: "failed", error: `function error (${functionError})` };
      const parsed = IngestResult.safeParse(safeJson(body));
      if (!parsed.success) return { kind: "failed", error: "unreadable function result" };
      if (!parsed.data.ok) return { kind: "invalid", message: parsed.data.error.message };
      return { kind: "stored", result: parsed.data };
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
