import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { DuckDBInstance } from "@duckdb/node-api";
import pg from "pg";
import type { IngestResult } from "../../protocol/analytics-batch.ts";
import { analyticsBucket, databaseUrl, loadOrCreateSecrets } from "../../scripts/lib/local-config.ts";
import { analyticsIngestFunction } from "../../scripts/services/lambda.ts";
import { localS3Client } from "../../scripts/services/s3.ts";
import { LocalLambda } from "./lambda.ts";

/**
 * The ingestion function from outside: invoked through its emulators, its Postgres rows read back with SQL, its
 * Parquet objects listed and downloaded from the local S3 and read by DuckDB (an independent reader).
 */

export type Ingested = Extract<IngestResult, { ok: true }>;

export async function ingestionHarness() {
  const secrets = await loadOrCreateSecrets();
  const lambda = new LocalLambda(analyticsIngestFunction);
  const s3 = localS3Client(secrets);
  const pool = new pg.Pool({ connectionString: databaseUrl(secrets), max: 2 });
  const duck = await (await DuckDBInstance.create(":memory:")).connect();
  // Hive keys and strftime in UTC, whatever the machine's zone.
  await duck.run("SET TimeZone = 'UTC'");

  const invoke = (event: unknown, emulator = 0) => lambda.invoke<IngestResult>(event, { emulator });

  /** Everything the function wrote for a tenant: row counts, the rollup's sums, the ledger and the object keys. */
  async function state(tenantId: string) {
    const one = async (sql: string) => (await pool.query(sql, [tenantId])).rows[0] as Record<string, unknown>;
    return {
      samples: await one(`SELECT count(*)::int AS n, count(DISTINCT batch_id)::int AS batches FROM analytics_samples WHERE tenant_id = $1`),
      events: await one(`SELECT count(*)::int AS n FROM analytics_events WHERE tenant_id = $1`),
      sessions: await one(`SELECT count(*)::int AS n FROM analytics_sessions WHERE tenant_id = $1`),
      hourly:
        await one(`SELECT count(*)::int AS rows, sum(samples)::int AS samples, sum(mos_samples)::int AS mos_samples, sum(mos_sum) AS mos_sum,
          sum(rtt_sum_ms) AS rtt_sum, sum(jitter_sum_ms) AS jitter_sum, sum(packets)::bigint::text AS packets, sum(packets_lost)::bigint::text AS lost,
          sum(connection_attempts)::int AS attempts, sum(join_timings)::int AS joins, sum(drops)::int AS drops, sum(sessions)::int AS sessions,
          sum(participant_seconds) AS participant_seconds, sum(samples_dropped)::int AS dropped
        FROM analytics_hourly WHERE tenant_id = $1`),
      active: await one(`SELECT count(*)::int AS n FROM analytics_active_participants WHERE tenant_id = $1`),
      ledger: (
        await pool.query(
          `SELECT batch_id::text, samples, events, sessions, rejected, dropped_samples, objects FROM analytics_batches WHERE tenant_id = $1 ORDER BY batch_id`,
          [tenantId],
        )
      ).rows,
      objects: await objectKeys(`samples/tenant=${tenantId}/`),
    };
  }

  async function objectKeys(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: analyticsBucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) keys.push(o.Key!);
      token = page.NextContinuationToken;
    } while (token);
    return keys.sort();
  }

  async function objectBytes(key: string): Promise<Uint8Array> {
    const object = await s3.send(new GetObjectCommand({ Bucket: analyticsBucket, Key: key }));
    return object.Body!.transformToByteArray();
  }

  /** Downloads objects under a fresh directory, keys as paths, and returns the directory. */
  async function download(keys: readonly string[]): Promise<string> {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "analytics-"));
    for (const key of keys) {
      await fs.mkdir(path.join(dir, path.dirname(key)), { recursive: true });
      await fs.writeFile(path.join(dir, key), await objectBytes(key));
    }
    return dir;
  }

  /** A DuckDB query's rows as plain JS values (counts as numbers). */
  async function query(sql: string): Promise<Record<string, unknown>[]> {
    const rows = (await duck.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
    return rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === "bigint" ? Number(v) : v])));
  }

  /** DuckDB over downloaded objects, Hive keys as columns. */
  const parquet = (dir: string) => `read_parquet('${dir}/samples/**/*.parquet', hive_partitioning = true)`;

  return {
    lambda,
    invoke,
    pool,
    state,
    objectKeys,
    objectBytes,
    download,
    query,
    parquet,
    async close() {
      lambda.destroy();
      s3.destroy();
      duck.closeSync();
      await pool.end();
    },
  };
}
