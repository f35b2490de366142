import { and, eq, gte, lt, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/neon-serverless";
import { TenantId } from "../protocol/ids.ts";
import * as schema from "../schema/index.ts";
import { apiKeys, meetings, tenants, usagePeriods, usageRecords, usageRollups } from "../schema/index.ts";
import { provisionTenant } from "../scripts/lib/dev-tenant.ts";
import { databaseUrl, loadOrCreateSecrets } from "../scripts/lib/local-config.ts";
import { createNodePool } from "../scripts/lib/neon-node.ts";
import { workerUrl } from "../scripts/services/worker.ts";
import { findActiveApiKey } from "../workers/auth/api-key-repository.ts";
import { hashApiKey } from "../workers/auth/api-key.ts";
import { effectivePrices, priceInvoice } from "../workers/usage/pricing.ts";
import { listUsageRecords, readPrices, rollupTotals, usageSeries } from "../workers/usage/usage-repository.ts";
import { formatRow, runBounded, summarize } from "./latency-stats.ts";

/**
 * Usage queries over one tenant holding a million usage records (seeded by one INSERT … SELECT generate_series into
 * its own bench tenant, removed afterwards): each API route through workerd against the same queries (the same
 * repository functions, so the same SQL) from Node on a warm pool, plus the month's totals summed from the raw
 * records as the rollup's own baseline.
 */
export async function benchUsageQueries(options = { records: 1_000_000, meetings: 200, requests: 200, concurrency: 4 }): Promise<void> {
  const url = databaseUrl(await loadOrCreateSecrets());
  const tenant = await provisionTenant(url, "bench usage queries");
  const tenantId = TenantId.parse(tenant.tenantId);
  const pool = createNodePool(url);
  const db = drizzle(pool, { schema });
  const month = { from: new Date("2026-11-01T00:00:00Z"), to: new Date("2026-12-01T00:00:00Z") };
  try {
    const seedStarted = performance.now();
    await db.execute(sql`
      insert into meetings (tenant_id, title, status)
      select ${tenantId}, 'bench ' || g, 'ended' from generate_series(1, ${options.meetings}) g`);
    // One statement: the insert trigger rolls a million rows up in one pass over its transition table.
    await db.execute(sql`
      with m as (select id, row_number() over (order by id) - 1 as n from meetings where tenant_id = ${tenantId})
      insert into usage_records (tenant_id, meeting_id, kind, quantity, source, source_id, period_start, period_end)
      select ${tenantId}, m.id,
             (case when g % 2 = 0 then 'sfu_participant_seconds' else 'p2p_participant_seconds' end)::usage_kind,
             (g % 3600 + 1) * 1000, 'room', 'bench:' || g,
             ${month.from.toISOString()}::timestamptz + (g * 2.592 || ' seconds')::interval - ((g % 3600 + 1) || ' seconds')::interval,
             ${month.from.toISOString()}::timestamptz + (g * 2.592 || ' seconds')::interval
      from generate_series(0, ${options.records - 1}) g join m on m.n = g % ${options.meetings}`);
    await db.execute(sql`analyze usage_records`);
    await db.execute(sql`analyze usage_rollups`);
    const seedMs = performance.now() - seedStarted;
    const [oneMeeting] = await db.select({ id: meetings.id }).from(meetings).where(eq(meetings.tenantId, tenantId)).limit(1);
    const meetingId = oneMeeting!.id;

    const keyHash = await hashApiKey(tenant.apiKey);
    const authenticated = async () => (await findActiveApiKey(db, keyHash))!.tenantId;
    const q = (params: Record<string, string>) => new URLSearchParams(params).toString();
    const monthQuery = { from: month.from.toISOString(), to: month.to.toISOString() };
    const cases: { name: string; path: string; direct: () => Promise<unknown> }[] = [
      {
        name: "GET /v1/usage (a month by day)",
        path: `/v1/usage?${q({ ...monthQuery, granularity: "day" })}`,
        direct: async () => usageSeries(db, await authenticated(), { ...month, granularity: "day" }),
      },
      {
        name: "GET /v1/usage/invoice-preview",
        path: "/v1/usage/invoice-preview?period=2026-11",
        direct: async () => {
          const id = await authenticated();
          const [totals, prices] = await Promise.all([rollupTotals(db, id, month.from, month.to), readPrices(db, id)]);
          return priceInvoice(totals, effectivePrices(prices.defaults, prices.own));
        },
      },
      {
        name: "GET /v1/usage/records (first 100)",
        path: `/v1/usage/records?${q({ ...monthQuery, limit: "100" })}`,
        direct: async () => listUsageRecords(db, await authenticated(), month, { limit: 101 }),
      },
      {
        name: "GET /v1/usage?meeting= (5,000 records, by hour)",
        path: `/v1/usage?${q({ ...monthQuery, granularity: "hour", meeting: meetingId })}`,
        direct: async () => usageSeries(db, await authenticated(), { ...month, granularity: "hour", meetingId }),
      },
    ];

    const call = (path: string) => async () => {
      const response = await fetch(`${workerUrl}${path}`, { headers: { authorization: `Bearer ${tenant.apiKey}` } });
      if (response.status !== 200) throw new Error(`worker answered ${response.status} to ${path}`);
      await response.arrayBuffer();
    };
    console.log(
      `\nUsage queries over ${options.records.toLocaleString("en")} records of one tenant (seeded in ${(seedMs / 1000).toFixed(1)} s; ` +
        `${options.requests} requests each, concurrency ${options.concurrency}, loopback)`,
    );
    for (const c of cases) {
      for (let i = 0; i < 10; i++) {
        await c.direct();
        await call(c.path)();
      }
      const direct = await runBounded(options.requests, options.concurrency, async () => void (await c.direct()));
      const edge = await runBounded(options.requests, options.concurrency, call(c.path));
      const base = summarize(direct.samples, direct.wallMs);
      const ours = summarize(edge.samples, edge.wallMs);
      console.log(formatRow(`baseline: same SQL, warm Node pool — ${c.name}`, base));
      console.log(formatRow(`ours: ${c.name} via workerd`, ours));
      console.log(
        `ratio (ours / baseline): throughput ${(ours.perSecond / base.perSecond).toFixed(2)}x, p50 latency ${(ours.p50 / base.p50).toFixed(2)}x`,
      );
    }
    // What the rollup saves: the month's totals summed from the raw records instead.
    const raw = await runBounded(20, 1, async () => {
      await db
        .select({ kind: usageRecords.kind, total: sql`sum(${usageRecords.quantity})` })
        .from(usageRecords)
        .where(and(eq(usageRecords.tenantId, tenantId), gte(usageRecords.periodEnd, month.from), lt(usageRecords.periodEnd, month.to)))
        .groupBy(usageRecords.kind);
    });
    const rolled = await runBounded(20, 1, async () => void (await rollupTotals(db, tenantId, month.from, month.to)));
    const rawSummary = summarize(raw.samples, raw.wallMs);
    const rolledSummary = summarize(rolled.samples, rolled.wallMs);
    console.log(formatRow("month totals from the raw records (no rollup), Node", rawSummary));
    console.log(formatRow("month totals from the hourly rollup, Node", rolledSummary));
    console.log(`ratio (raw / rollup): p50 latency ${(rawSummary.p50 / rolledSummary.p50).toFixed(1)}x`);
  } finally {
    await db.delete(usagePeriods).where(eq(usagePeriods.tenantId, tenantId));
    await db.delete(usageRecords).where(eq(usageRecords.tenantId, tenantId));
    await db.delete(usageRollups).where(eq(usageRollups.tenantId, tenantId));
    await db.delete(meetings).where(eq(meetings.tenantId, tenantId));
    await db.delete(apiKeys).where(eq(apiKeys.tenantId, tenantId));
    await db.delete(tenants).where(eq(tenants.id, tenantId));
    await pool.end();
  }
}
