import { S3Client } from "@aws-sdk/client-s3";
import pg from "pg";
import type { IngestResult } from "../../protocol/analytics-batch.ts";
import { isWarmupEvent, warmupAnswer } from "../warmup.ts";
import { readConfig } from "./config.ts";
import { ingest } from "./ingest.ts";
import { PostgresAnalyticsStore } from "./postgres-store.ts";
import { S3ObjectWriter } from "./s3-object-writer.ts";

/**
 * The analytics ingestion Lambda: the meeting room's batch in, an IngestResult out (ingest.ts does the work).
 * Bad data is answered, never thrown; Postgres or S3 failing is thrown, so the invocation fails and the room retries.
 */

const config = readConfig(process.env);

// One connection per container: Lambda runs one invocation at a time in it, and the connection outlives them.
const pool = new pg.Pool({
  connectionString: config.databaseUrl,
  max: 1,
  // Names its connections in pg_stat_activity.
  application_name: "analytics-ingest",
  connectionTimeoutMillis: 5_000,
  idleTimeoutMillis: 0,
  keepAlive: true,
  // Well under the function's timeout: a stuck query fails the invocation (retried) instead of using it all.
  statement_timeout: 20_000,
  query_timeout: 25_000,
});
// An idle connection that drops (Postgres restarts) must not crash the container; the next query reconnects.
pool.on("error", (error) => console.error(JSON.stringify({ fn: "analytics-ingest", idleConnectionError: error.message })));

const ports = {
  store: new PostgresAnalyticsStore(pool),
  objects: new S3ObjectWriter(
    new S3Client({ endpoint: config.s3.endpoint, region: config.s3.region, forcePathStyle: config.s3.forcePathStyle }),
    config.bucket,
  ),
};

export async function handler(event: unknown): Promise<IngestResult | typeof warmupAnswer> {
  if (isWarmupEvent(event)) return warmupAnswer;
  const started = performance.now();
  try {
    const { result, newBatch } = await ingest(event, ports);
    console.log(
      JSON.stringify({
        fn: "analytics-ingest",
        ms: Math.round(performance.now() - started),
        ...batchOf(event),
        newBatch,
        ...summary(result),
      }),
    );
    return result;
  } catch (error) {
    const described = batchOf(event);
    console.error(
      JSON.stringify({
        fn: "analytics-ingest",
        ms: Math.round(performance.now() - started),
        ...described,
        failed: (error as Error).message,
      }),
    );
    throw error;
  }
}

/** The result without its lists: counts, never record contents. */
function summary(result: IngestResult) {
  if (!result.ok) return { ok: false, error: result.error.code, issues: result.error.issues.length };
  return {
    ok: true,
    stored: result.stored,
    duplicates: result.duplicates,
    rejected: result.rejected.length,
    objects: result.objects.length,
  };
}

function batchOf(event: unknown): { batchId?: unknown; tenantId?: unknown } {
  if (!event || typeof event !== "object") return {};
  const { batchId, tenantId } = event as Record<string, unknown>;
  return {
    batchId: typeof batchId === "string" ? batchId.slice(0, 64) : undefined,
    tenantId: typeof tenantId === "string" ? tenantId.slice(0, 64) : undefined,
  };
}
