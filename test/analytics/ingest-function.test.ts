import fs from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { maxBatchRecords } from "../../protocol/analytics-batch.ts";
import { makeBatch } from "../support/analytics-batches.ts";
import { type Ingested, ingestionHarness } from "../support/analytics-ingest.ts";

let h: Awaited<ReturnType<typeof ingestionHarness>>;
beforeAll(async () => {
  h = await ingestionHarness();
});
afterAll(async () => {
  await h.close();
});

const keyPattern = (tenantId: string, batchId: string) =>
  new RegExp(`^samples/tenant=${tenantId}/date=\\d{4}-\\d{2}-\\d{2}/hour=\\d{2}/${batchId}\\.parquet$`);

describe("the analytics ingestion function (through the Lambda emulator)", () => {
  it("stores a batch in Postgres and as Parquet under Hive keys; DuckDB reading the objects agrees with the rollups", async () => {
    // Records over three hours, so the batch spans several hourly rows and objects.
    const batch = makeBatch({ samples: 200, events: 40, sessions: 12, droppedSamples: 5, spanMs: 2.5 * 3_600_000, seed: 11 });
    const { payload, functionError } = await h.invoke(batch);
    expect(functionError).toBeUndefined();
    const result = payload as Ingested;
    expect(result).toMatchObject({
      ok: true,
      batchId: batch.batchId,
      stored: { samples: 200, events: 40, sessions: 12 },
      duplicates: 0,
      rejected: [],
    });
    expect(result.objects.length).toBeGreaterThanOrEqual(3);
    for (const key of result.objects) expect(key).toMatch(keyPattern(batch.tenantId, batch.batchId));

    const state = await h.state(batch.tenantId);
    expect(state.samples).toEqual({ n: 200, batches: 1 });
    expect(state.events.n).toBe(40);
    expect(state.sessions.n).toBe(12);
    expect(state.hourly).toMatchObject({
      samples: 200,
      attempts: batch.events.filter((e) => e.kind === "connection_outcome").length,
      sessions: 12,
      dropped: 5,
    });
    expect(state.ledger).toEqual([
      { batch_id: batch.batchId, samples: 200, events: 40, sessions: 12, rejected: 0, dropped_samples: 5, objects: result.objects },
    ]);
    expect(state.objects).toEqual(result.objects);

    const dir = await h.download(result.objects);
    try {
      const files = h.parquet(dir);
      const [counts] = await h.query(`SELECT count(*) AS track_rows, count(DISTINCT sample_id) AS samples,
          bool_and(tenant::VARCHAR = tenant_id::VARCHAR) AS tenant_agrees,
          bool_and(strftime(received_at, '%Y-%m-%d') = date::VARCHAR AND strftime(received_at, '%H') = hour::VARCHAR) AS time_agrees
        FROM ${files}`);
      expect(counts).toEqual({ track_rows: 600, samples: 200, tenant_agrees: true, time_agrees: true });

      // Per sample as the summary row has it (worst of the tracks, sums of packets), then the rollup's ratios.
      const [figures] = await h.query(`WITH per_sample AS (
          SELECT sample_id, any_value(mos) AS mos, max(rtt_ms) AS rtt, max(jitter_ms) AS jitter,
            sum(packets) AS packets, sum(packets_lost) AS lost
          FROM ${files} GROUP BY sample_id)
        SELECT avg(mos) AS mos, avg(rtt) AS rtt, avg(jitter) AS jitter, sum(packets)::BIGINT AS packets, sum(lost)::BIGINT AS lost,
          count(mos) AS mos_samples FROM per_sample`);
      const rollup = state.hourly as Record<string, number | string>;
      expect(figures!.mos).toBeCloseTo(Number(rollup.mos_sum) / Number(rollup.mos_samples), 9);
      expect(figures!.mos_samples).toBe(rollup.mos_samples);
      const [rttSamples] = (
        await h.pool.query(`SELECT sum(rtt_samples)::int AS r, sum(jitter_samples)::int AS j FROM analytics_hourly WHERE tenant_id = $1`, [
          batch.tenantId,
        ])
      ).rows;
      expect(figures!.rtt).toBeCloseTo(Number(rollup.rtt_sum) / rttSamples.r, 9);
      expect(figures!.jitter).toBeCloseTo(Number(rollup.jitter_sum) / rttSamples.j, 9);
      expect(String(figures!.packets)).toBe(rollup.packets);
      expect(String(figures!.lost)).toBe(rollup.lost);

      // Hour by hour, the objects hold exactly the samples each hourly row counted.
      const perHour = await h.query(`SELECT date::VARCHAR || ' ' || hour::VARCHAR AS slot, count(DISTINCT sample_id) AS samples
        FROM ${files} GROUP BY ALL ORDER BY slot`);
      const { rows: hourly } = await h.pool.query(
        `SELECT to_char(hour AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24') AS slot, samples FROM analytics_hourly WHERE tenant_id = $1 AND samples > 0 ORDER BY hour`,
        [batch.tenantId],
      );
      expect(perHour).toEqual(hourly);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it("a batch delivered twice, also concurrently to both emulators, is stored once and its objects are rewritten the same", async () => {
    const batch = makeBatch({ samples: 200, events: 20, sessions: 6, droppedSamples: 3, seed: 12 });
    const [a, b] = await Promise.all([h.invoke(batch, 0), h.invoke(batch, 1)]);
    expect([a.functionError, b.functionError]).toEqual([undefined, undefined]);
    const results = [a.payload, b.payload] as Ingested[];
    const first = results.find((r) => r.stored.samples > 0)!;
    const second = results.find((r) => r !== first)!;
    expect(first.stored).toEqual({ samples: 200, events: 20, sessions: 6 });
    expect(second).toMatchObject({ stored: { samples: 0, events: 0, sessions: 0 }, duplicates: 226, objects: first.objects });

    const before = await h.state(batch.tenantId);
    const bytes = await Promise.all(before.objects.map(h.objectBytes));
    const again = (await h.invoke(batch, 1)).payload as Ingested;
    expect(again).toMatchObject({ stored: { samples: 0, events: 0, sessions: 0 }, duplicates: 226, objects: first.objects });
    const after = await h.state(batch.tenantId);
    expect(after).toEqual(before);
    expect(after.hourly).toMatchObject({ samples: 200, sessions: 6, dropped: 3 });
    expect(await Promise.all(after.objects.map(h.objectBytes))).toEqual(bytes);
  });

  it("a sample another batch already stored is counted and written once, by the batch that stored it", async () => {
    const first = makeBatch({ samples: 10, seed: 13 });
    const second = makeBatch({ tenantId: first.tenantId, meetingId: first.meetingId, samples: 10, seed: 14 });
    second.samples[4] = first.samples[4]!;
    second.samples[9] = second.samples[3]!; // and one sent twice within the batch
    expect(((await h.invoke(first)).payload as Ingested).stored.samples).toBe(10);
    const result = (await h.invoke(second)).payload as Ingested;
    expect(result).toMatchObject({ stored: { samples: 8 }, duplicates: 2 });
    const dir = await h.download((await h.state(first.tenantId)).objects);
    try {
      const [counts] = await h.query(
        `SELECT count(DISTINCT sample_id) AS samples, count(DISTINCT (sample_id, batch_id)) AS owned FROM ${h.parquet(dir)}`,
      );
      expect(counts).toEqual({ samples: 18, owned: 18 });
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
    expect((await h.state(first.tenantId)).hourly).toMatchObject({ samples: 18 });
  });

  it("stores a batch's good records and reports the bad ones by list and index", async () => {
    const batch = makeBatch({ samples: 6, events: 3, sessions: 2, seed: 15 });
    const samples: unknown[] = [...batch.samples];
    samples[2] = { ...batch.samples[2], mos: 9 };
    samples[5] = "not a sample";
    const events: unknown[] = [...batch.events];
    events[1] = { ...batch.events[1], receivedAt: batch.createdAt + 3_600_000 };
    const sessions: unknown[] = [batch.sessions[0], { ...batch.sessions[1], participant: "" }];
    const result = (await h.invoke({ ...batch, samples, events, sessions })).payload as Ingested;
    expect(result).toMatchObject({ ok: true, stored: { samples: 4, events: 2, sessions: 1 }, duplicates: 0 });
    expect(result.rejected.map(({ list, index }) => `${list}[${index}]`)).toEqual(["samples[2]", "samples[5]", "events[1]", "sessions[1]"]);
    expect(result.rejected[0]!.issues).toEqual([expect.stringMatching(/^mos: /)]);
    const state = await h.state(batch.tenantId);
    expect([state.samples.n, state.events.n, state.sessions.n, state.hourly.samples]).toEqual([4, 2, 1, 4]);
    expect(state.ledger).toMatchObject([{ samples: 4, events: 2, sessions: 1, rejected: 4 }]);
  });

  it("answers garbage with invalid_event and writes nothing", async () => {
    const batch = makeBatch({ samples: 3, seed: 16 });
    const garbage: unknown[] = [
      "samples please",
      42,
      null,
      [batch],
      { ...batch, tenantId: "acme" },
      { ...batch, createdAt: "now", samples: {} },
      { ...batch, region: "eu\u0000west" },
      { ...batch, samples: Array.from({ length: maxBatchRecords + 1 }, () => batch.samples[0]) },
    ];
    for (const event of garbage) {
      const { payload, functionError } = await h.invoke(event);
      expect(functionError).toBeUndefined();
      expect(payload).toMatchObject({
        ok: false,
        error: { code: "invalid_event", message: expect.any(String), issues: expect.arrayContaining([expect.any(String)]) },
      });
    }
    const state = await h.state(batch.tenantId);
    expect([state.samples.n, state.hourly.rows, state.ledger.length, state.objects.length]).toEqual([0, 0, 0, 0]);
  });

  it("keeps tenants apart: the same meeting, batch and sample ids under two tenants land under two prefixes", async () => {
    const a = makeBatch({ samples: 20, seed: 17 });
    const b = { ...structuredClone(a), tenantId: crypto.randomUUID() as typeof a.tenantId };
    expect(((await h.invoke(a)).payload as Ingested).stored.samples).toBe(20);
    const resultB = (await h.invoke(b, 1)).payload as Ingested;
    expect(resultB.stored.samples).toBe(20);
    for (const key of resultB.objects) expect(key.startsWith(`samples/tenant=${b.tenantId}/`)).toBe(true);
    const [stateA, stateB] = await Promise.all([h.state(a.tenantId), h.state(b.tenantId)]);
    expect([stateA.samples.n, stateB.samples.n, stateA.hourly.samples, stateB.hourly.samples]).toEqual([20, 20, 20, 20]);
    expect(stateA.objects.every((k) => k.startsWith(`samples/tenant=${a.tenantId}/`))).toBe(true);
    const dir = await h.download(stateB.objects);
    try {
      expect(await h.query(`SELECT DISTINCT tenant, tenant_id::VARCHAR AS tenant_id FROM ${h.parquet(dir)}`)).toEqual([
        { tenant: b.tenantId, tenant_id: b.tenantId },
      ]);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it("replaces a connection Postgres dropped between invocations: the next batch is stored", async () => {
    expect(((await h.invoke(makeBatch({ samples: 2, seed: 18 }))).payload as Ingested).ok).toBe(true);
    // The function's idle connections, as a Postgres restart leaves them.
    const { rows } = await h.pool.query(
      `SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE state = 'idle' AND application_name = 'analytics-ingest'`,
    );
    expect(rows.length).toBeGreaterThan(0);
    const batch = makeBatch({ samples: 20, seed: 19 });
    for (const emulator of [0, 1]) {
      const { payload, functionError } = await h.invoke({ ...batch, batchId: crypto.randomUUID() }, emulator);
      expect(functionError).toBeUndefined();
      expect(payload).toMatchObject({ ok: true });
    }
  });

  it("answers the warm-up event", async () => {
    const { payload, functionError } = await h.invoke({ warmup: true });
    expect(functionError).toBeUndefined();
    expect(payload).toEqual({ warm: true });
  });
});
