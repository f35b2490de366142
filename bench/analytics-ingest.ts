import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { DeleteObjectsCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { getTableColumns } from "drizzle-orm";
import pg from "pg";
import { identityOf, type SampleRow, sampleRow } from "../functions/analytics-ingest/normalize.ts";
import { PostgresAnalyticsStore } from "../functions/analytics-ingest/postgres-store.ts";
import type { IngestResult } from "../protocol/analytics-batch.ts";
import { analyticsSamples } from "../schema/analytics.ts";
import { analyticsBucket, database, databaseUrl, host, loadOrCreateSecrets, ports } from "../scripts/lib/local-config.ts";
import { analyticsIngestFunction } from "../scripts/services/lambda.ts";
import { choosePostgresEngine } from "../scripts/services/postgres.ts";
import { localS3Client } from "../scripts/services/s3.ts";
import { type MadeBatch, makeBatch } from "../test/support/analytics-batches.ts";
import { LocalLambda } from "../test/support/lambda.ts";
import { summarize } from "./latency-stats.ts";

/**
 * Samples into Postgres through the ingestion function (invoked through both emulators, one batch in flight each,
 * batches of the room's 200 samples, Parquet to the local S3 included) against the same summary rows written by
 * per-row INSERTs and by psql's COPY (the limit), all in one run at the same parallelism (2, the emulators). Also:
 * the store alone in this process (the function's SQL without Lambda, validation, Parquet and S3), COPY with a
 * transaction per batch, the function at the contract's largest batch, Parquet bytes per sample, and what a million
 * participants sampling every 5 s would need, from the measured figures. Bench tenants are removed after.
 */
export async function benchAnalyticsIngest(
  options = { samples: 12_000, batchSize: 200, largeBatchSize: 500, concurrency: 2, maxSecondsPerMode: 30 },
) {
  const secrets = await loadOrCreateSecrets();
  const lambda = new LocalLambda(analyticsIngestFunction);
  const pool = new pg.Pool({ connectionString: databaseUrl(secrets), max: options.concurrency });
  const s3 = localS3Client(secrets);
  const tenants = { warm: uuid(), fn: uuid(), large: uuid(), store: uuid(), rows: uuid(), copy: uuid(), copyBatches: uuid() };
  const count = options.samples / options.batchSize;
  const batches = Array.from({ length: count }, (_, i) => makeBatch({ samples: options.batchSize, seed: 100 + i }));
  const rowsOf = (tenantId: string) => batches.map((b) => b.samples.map((s) => sampleRow(identityOf(asTenant(b, tenantId)), s)));
  /** `task(i, worker)` for i < total, `concurrency` workers each with one in flight, none started after the time bound. */
  const run = async (total: number, task: (i: number, worker: number) => Promise<void>) => {
    const until = Date.now() + options.maxSecondsPerMode * 1000;
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: options.concurrency }, async (_, worker) => {
        while (next < total && Date.now() < until) await task(next++, worker);
      }),
    );
    return performance.now() - started;
  };
  try {
    // Warm both emulators and this process's pool (JIT, connections, today's partitions) with batches of their own.
    const store = new PostgresAnalyticsStore(pool);
    const warmWrite = (seed: number) => {
      const batch = makeBatch({ tenantId: tenants.warm, samples: options.batchSize, seed });
      const identity = identityOf(batch);
      const samples = batch.samples.map((s) => sampleRow(identity, s));
      return { identity, createdAt: batch.createdAt, samples, events: [], sessions: [], rejected: 0, droppedSamples: 0 };
    };
    for (let i = 0; i < 4; i++) {
      await lambda.invoke(makeBatch({ tenantId: tenants.warm, samples: options.batchSize, seed: i }), {
        emulator: i % options.concurrency,
      });
      await Promise.all(Array.from({ length: options.concurrency }, (_, c) => store.store(warmWrite(10 + i * options.concurrency + c))));
    }

    // 1. Through the function, at the room's batch size and at the contract's largest.
    const throughFunction = async (list: MadeBatch[], tenantId: string) => {
      const invocationMs: number[] = [];
      let objects = 0;
      let stored = 0;
      const wallMs = await run(list.length, async (i, worker) => {
        const { payload, functionError, ms } = await lambda.invoke<IngestResult>(asTenant(list[i]!, tenantId), { emulator: worker });
        if (functionError || !payload.ok) throw new Error(`invocation failed: ${JSON.stringify(payload).slice(0, 300)}`);
        invocationMs.push(ms);
        objects += payload.objects.length;
        stored += payload.stored.samples;
      });
      return {
        rate: (stored / wallMs) * 1000,
        stored,
        invocationMs,
        latency: summarize(invocationMs, wallMs),
        objectsPerBatch: objects / Math.max(1, invocationMs.length),
      };
    };
    const cpuBefore = await cpuOfStack();
    const fn = await throughFunction(batches, tenants.fn);
    const cpuPerBatch = cpuPerInvocation(cpuBefore, await cpuOfStack(), fn.invocationMs.length);
    const large = await throughFunction(
      Array.from({ length: options.samples / options.largeBatchSize }, (_, i) =>
        makeBatch({ samples: options.largeBatchSize, seed: 500 + i }),
      ),
      tenants.large,
    );

    // 2. The store alone, in this process: the same transaction the function runs, minus everything around it.
    const storeRows = rowsOf(tenants.store);
    let storeStored = 0;
    const storeMs = await run(count, async (i) => {
      const rows = storeRows[i]!;
      const write = {
        identity: identityOf(asTenant(batches[i]!, tenants.store)),
        createdAt: batches[i]!.createdAt,
        samples: rows,
        events: [],
        sessions: [],
      };
      const { stored } = await store.store({ ...write, rejected: 0, droppedSamples: 0 });
      storeStored += stored.samples;
    });
    const storeRate = (storeStored / storeMs) * 1000;

    // 3. Per-row INSERT of the same summary rows, a transaction per batch.
    const perRowBatches = rowsOf(tenants.rows);
    const insert = `INSERT INTO analytics_samples (${sampleColumns.join(", ")}) VALUES (${sampleColumns.map((_, i) => `$${i + 1}`).join(", ")}) ON CONFLICT DO NOTHING`;
    let perRowStored = 0;
    const perRowMs = await run(count, async (i) => {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        for (const row of perRowBatches[i]!) await client.query(insert, sampleValues(row));
        await client.query("COMMIT");
        perRowStored += perRowBatches[i]!.length;
      } finally {
        client.release();
      }
    });
    const perRowRate = (perRowStored / perRowMs) * 1000;

    // 4. COPY from psql of the same rows: one COPY per psql (the limit), and a COPY (a transaction) per batch.
    const copyRate = await copyFromPsql(rowsOf(tenants.copy), options.concurrency, secrets.postgresPassword, "one");
    const copyPerBatchRate = await copyFromPsql(rowsOf(tenants.copyBatches), options.concurrency, secrets.postgresPassword, "per-batch");

    const { rows: sizes } = await pool.query<{ bytes: string; n: string }>(
      `SELECT coalesce(sum(pg_column_size(s.*)), 0)::text AS bytes, count(*)::text AS n FROM analytics_samples s WHERE tenant_id = $1`,
      [tenants.fn],
    );
    const bytesPerSample = (await prefixBytes(`samples/tenant=${tenants.fn}/`)) / Math.max(1, fn.stored);
    const rowBytes = Number(sizes[0]!.bytes) / Math.max(1, Number(sizes[0]!.n));
    const meanInvocationMs = fn.invocationMs.reduce((a, b) => a + b, 0) / Math.max(1, fn.invocationMs.length);
    const pct = (a: number, b: number | null) => (b === null ? "n/a" : `${((a / b) * 100).toFixed(0)}%`);

    console.log(
      `\nAnalytics ingestion (${fn.stored} samples in batches of ${options.batchSize}, ${options.concurrency} at a time; the same rows in every mode)`,
    );
    console.log(
      `  through the function (2 aws-lambda-rie emulators: validate; ledger, analytics_samples, hourly and active-participant rollups in one transaction; Parquet to S3): ${fn.rate.toFixed(0)} samples/s; invocation p50 ${fn.latency.p50.toFixed(0)} ms, p95 ${fn.latency.p95.toFixed(0)} ms`,
    );
    if (cpuPerBatch) {
      const total = Object.values(cpuPerBatch).reduce((a, b) => a + b, 0);
      const cores = os.availableParallelism();
      console.log(
        `    CPU per invocation, by process: ${Object.entries(cpuPerBatch)
          .map(([name, ms]) => `${name} ${ms.toFixed(1)} ms`)
          .join(
            ", ",
          )}; ${total.toFixed(1)} ms in all, so ${cores} cores fully used would ingest at most ${((cores * 1000 * options.batchSize) / total).toFixed(0)} samples/s this way`,
      );
    }
    console.log(
      `  the same at ${options.largeBatchSize} samples per batch (the contract's largest): ${large.rate.toFixed(0)} samples/s; invocation p50 ${large.latency.p50.toFixed(0)} ms`,
    );
    console.log(
      `  the store alone in this process (the same transaction: ledger, unnest inserts, rollups): ${storeRate.toFixed(0)} samples/s`,
    );
    console.log(`  per-row INSERT of the same rows (a transaction per batch): ${perRowRate.toFixed(0)} samples/s`);
    if (copyRate === null || copyPerBatchRate === null) console.log("  COPY from psql: skipped (no psql: the PGlite engine)");
    else {
      console.log(
        `  COPY from psql of the same rows (the limit: one COPY per psql; analytics_samples only, no ledger, rollups or Parquet): ${copyRate.toFixed(0)} samples/s`,
      );
      console.log(`  COPY from psql, a transaction per batch of ${options.batchSize}: ${copyPerBatchRate.toFixed(0)} samples/s`);
    }
    console.log(`  ratio function / per-row INSERT: ${(fn.rate / perRowRate).toFixed(1)}×`);
    console.log(
      `  ratio function / COPY: ${pct(fn.rate, copyRate)} (goal ≥ 50%); at ${options.largeBatchSize} per batch ${pct(large.rate, copyRate)}; store alone / COPY ${pct(storeRate, copyRate)}; function / COPY per batch ${pct(fn.rate, copyPerBatchRate)}`,
    );
    console.log(
      `  Parquet: ${bytesPerSample.toFixed(0)} bytes per sample (${(bytesPerSample / 3).toFixed(0)} per track row, snappy), ${fn.objectsPerBatch.toFixed(2)} objects per batch; Postgres summary row ≈ ${rowBytes.toFixed(0)} bytes before index and page overhead`,
    );

    // A million participants, one sample each per 5 s.
    const need = 1_000_000 / 5;
    const invocations = need / options.batchSize;
    console.log(`  1,000,000 participants at one sample per 5 s = ${need.toLocaleString("en")} samples/s:`);
    console.log(
      `    ${invocations.toLocaleString("en")} invocations/s of ${options.batchSize}; at the measured mean ${meanInvocationMs.toFixed(0)} ms each, ≈ ${Math.ceil((invocations * meanInvocationMs) / 1000).toLocaleString("en")} concurrent Lambdas (Little's law)`,
    );
    console.log(
      `    S3 PUTs ≈ ${Math.round(invocations * fn.objectsPerBatch).toLocaleString("en")}/s (${fn.objectsPerBatch.toFixed(2)} per batch, spread over tenant prefixes; S3 takes 3,500 PUTs/s per prefix)`,
    );
    console.log(
      `    Parquet ≈ ${((need * bytesPerSample * 86_400) / 1e9).toFixed(0)} GB/day; Postgres summary rows ≈ ${((need * rowBytes * 86_400) / 1e9).toFixed(0)} GB/day of heap (${(need * 86_400).toExponential(2)} rows/day)`,
    );
    console.log(
      `    Postgres: ${need.toLocaleString("en")} rows/s is ${(need / fn.rate).toFixed(0)}× what this 2-core machine's whole stack ingested${copyRate === null ? "" : ` and ${(need / copyRate).toFixed(1)}× its COPY limit`}: shard the writer by tenant`,
    );
  } finally {
    await cleanUp(Object.values(tenants));
    lambda.destroy();
    s3.destroy();
    await pool.end();
  }

  async function prefixBytes(prefix: string): Promise<number> {
    let total = 0;
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: analyticsBucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) total += o.Size ?? 0;
      token = page.NextContinuationToken;
    } while (token);
    return total;
  }

  async function cleanUp(ids: string[]) {
    for (const table of [
      "analytics_samples",
      "analytics_events",
      "analytics_sessions",
      "analytics_hourly",
      "analytics_active_participants",
      "analytics_batches",
    ]) {
      await pool.query(`DELETE FROM ${table} WHERE tenant_id = ANY($1::uuid[])`, [ids]);
    }
    for (const id of ids) {
      let token: string | undefined;
      do {
        const page = await s3.send(
          new ListObjectsV2Command({ Bucket: analyticsBucket, Prefix: `samples/tenant=${id}/`, ContinuationToken: token }),
        );
        const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
        if (keys.length) await s3.send(new DeleteObjectsCommand({ Bucket: analyticsBucket, Delete: { Objects: keys } }));
        token = page.NextContinuationToken;
      } while (token);
    }
  }
}

const uuid = () => crypto.randomUUID();
const asTenant = (batch: MadeBatch, tenantId: string): MadeBatch => ({ ...batch, tenantId: tenantId as MadeBatch["tenantId"] });

/** analytics_samples' columns in schema order (one definition: schema/analytics.ts), and a row's values for them. */
const sampleFields = Object.entries(getTableColumns(analyticsSamples)).map(([field, column]) => ({
  field: field as keyof SampleRow,
  name: column.name,
  timestamp: column.getSQLType().startsWith("timestamp"),
}));
const sampleColumns = sampleFields.map((c) => c.name);
const sampleValues = (r: SampleRow): unknown[] =>
  sampleFields.map((c) => (c.timestamp ? new Date(r[c.field] as number).toISOString() : r[c.field]));

const csvField = (value: unknown) =>
  value === null || value === undefined ? "" : typeof value === "string" ? `"${value.replaceAll('"', '""')}"` : String(value);
const csv = (rows: SampleRow[]) => `${rows.map((r) => sampleValues(r).map(csvField).join(",")).join("\n")}\n`;

/**
 * psql's `\copy … FROM` of the rows, split over `parallel` psql sessions: `one` COPY per session, or a COPY (its own
 * transaction) `per-batch`. Rows/s over the wall time of all sessions, CSV written beforehand.
 */
async function copyFromPsql(batches: SampleRow[][], parallel: number, password: string, mode: "one" | "per-batch"): Promise<number | null> {
  const engine = choosePostgresEngine();
  if (engine.kind !== "debian") return null;
  const psql = path.join(engine.binDir, "psql");
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "copy-bench-"));
  const copy = (file: string) => `\\copy analytics_samples (${sampleColumns.join(", ")}) FROM '${file}' WITH (FORMAT csv)`;
  try {
    const scripts: string[] = [];
    for (let session = 0; session < parallel; session++) {
      const mine = batches.filter((_, b) => b % parallel === session);
      const files = mode === "one" ? [mine.flat()] : mine;
      const lines: string[] = [];
      for (const [i, rows] of files.entries()) {
        const file = path.join(dir, `${session}-${i}.csv`);
        await fs.writeFile(file, csv(rows));
        lines.push(copy(file));
      }
      const script = path.join(dir, `${session}.sql`);
      await fs.writeFile(script, `${lines.join("\n")}\n`);
      scripts.push(script);
    }
    const started = performance.now();
    await Promise.all(scripts.map((script) => runPsql(psql, script, password)));
    return (batches.flat().length / (performance.now() - started)) * 1000;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

function runPsql(psql: string, script: string, password: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const args = [
      "-X",
      "-q",
      "-v",
      "ON_ERROR_STOP=1",
      "-h",
      host,
      "-p",
      String(ports.postgres),
      "-U",
      database.user,
      "-d",
      database.name,
      "-f",
      script,
    ];
    const child = spawn(psql, args, { env: { ...process.env, PGPASSWORD: password }, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`psql COPY failed: ${stderr.slice(0, 500)}`))));
  });
}

/** The stack's processes the function path runs through, by a piece of their command line (the first that matches). */
const stackProcesses = {
  // First: an emulator's command line holds the runtime's too.
  "emulators (aws-lambda-rie)": "aws-lambda-rie",
  "function runtimes (aws-lambda-ric)": "aws-lambda-ric/index.mjs",
  "Postgres (every backend, others' included)": "postgres",
  "S3 (versitygw)": "versitygw",
};

interface CpuSnapshot {
  ticks: Record<string, number>;
  self: NodeJS.CpuUsage;
}

/** CPU used so far by each group of stackProcesses (Linux's /proc, in clock ticks) and by this process; null elsewhere. */
async function cpuOfStack(): Promise<CpuSnapshot | null> {
  const pids = await fs.readdir("/proc").catch(() => null);
  if (!pids) return null;
  const ticks: Record<string, number> = Object.fromEntries(Object.keys(stackProcesses).map((name) => [name, 0]));
  for (const pid of pids.filter((p) => /^\d+$/.test(p))) {
    const [cmdline, stat] = await Promise.all([
      fs.readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => ""),
      fs.readFile(`/proc/${pid}/stat`, "utf8").catch(() => ""),
    ]);
    const group = Object.entries(stackProcesses).find(([, pattern]) => cmdline.includes(pattern))?.[0];
    if (!group || !stat) continue;
    // utime and stime, the 14th and 15th fields; the command (2nd) is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    ticks[group]! += Number(fields[11]) + Number(fields[12]);
  }
  return { ticks, self: process.cpuUsage() };
}

/** CPU ms per invocation between two snapshots, by process group (clock ticks taken as 10 ms, Linux's USER_HZ). */
function cpuPerInvocation(before: CpuSnapshot | null, after: CpuSnapshot | null, invocations: number): Record<string, number> | null {
  if (!before || !after || invocations === 0) return null;
  const perInvocation: Record<string, number> = {};
  for (const name of Object.keys(after.ticks)) perInvocation[name] = ((after.ticks[name]! - (before.ticks[name] ?? 0)) * 10) / invocations;
  perInvocation["the bench (Invoke client)"] =
    (after.self.user - before.self.user + after.self.system - before.self.system) / 1000 / invocations;
  return perInvocation;
}
