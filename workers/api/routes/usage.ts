import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { openDatabase } from "../../db/database.ts";
import { readConfig } from "../../env.ts";
import { decodeCursor, encodeCursor } from "../../meetings/page-cursor.ts";
import { billingPeriodOf, canClose, parseBillingPeriod } from "../../usage/billing-period.ts";
import { meterDefinitions } from "../../usage/meters.ts";
import { adjustmentLines, type FrozenLine } from "../../usage/period-close.ts";
import { closeUsagePeriod } from "../../usage/period-closer.ts";
import { effectivePrices, priceInvoice, type InvoiceLine } from "../../usage/pricing.ts";
import { bucketStart, checkRange } from "../../usage/usage-range.ts";
import {
  adjustmentTotals,
  findClosedPeriod,
  listUsageRecords,
  readPrices,
  rollupTotals,
  usageSeries,
  type UsageRecordRow,
} from "../../usage/usage-repository.ts";
import { pokeDispatchers } from "../../webhooks/dispatcher-client.ts";
import type { AppEnv } from "../app-env.ts";
import { ApiError } from "../errors.ts";
import { validationHook } from "../middleware/validation-hook.ts";
import { json, security } from "../schemas/openapi-parts.ts";
import { problemResponses } from "../schemas/problem.ts";
import {
  ClosedPeriodSchema,
  InvoicePreviewQuery,
  InvoicePreviewSchema,
  PeriodParam,
  PriceListSchema,
  UsageRecordPageSchema,
  UsageRecordsQuery,
  UsageSeriesQuery,
  UsageSeriesSchema,
} from "../schemas/usage.ts";
import { requireUsageMeeting } from "./usage-scope.ts";

const tags = ["Usage"];

const listRecordsRoute = createRoute({
  method: "get",
  path: "/v1/usage/records",
  tags,
  security,
  summary: "The usage records (one per fact) behind every number, oldest first",
  request: { query: UsageRecordsQuery },
  responses: { 200: { description: "A page of records", content: json(UsageRecordPageSchema) }, ...problemResponses(400, 401, 404) },
});

const seriesRoute = createRoute({
  method: "get",
  path: "/v1/usage",
  tags,
  security,
  summary: "Usage per meter by hour or day (UTC), tenant-wide or for one meeting",
  request: { query: UsageSeriesQuery },
  responses: { 200: { description: "The series", content: json(UsageSeriesSchema) }, ...problemResponses(400, 401, 404) },
});

const invoicePreviewRoute = createRoute({
  method: "get",
  path: "/v1/usage/invoice-preview",
  tags,
  security,
  summary: "A month priced with the tenant's price table (frozen numbers and adjustments once closed)",
  request: { query: InvoicePreviewQuery },
  responses: { 200: { description: "The priced month", content: json(InvoicePreviewSchema) }, ...problemResponses(400, 401) },
});

const pricesRoute = createRoute({
  method: "get",
  path: "/v1/usage/prices",
  tags,
  security,
  summary: "The tenant's effective price table: price, free allowance and rounding rule per meter",
  responses: { 200: { description: "Prices", content: json(PriceListSchema) }, ...problemResponses(401) },
});

const closePeriodRoute = createRoute({
  method: "post",
  path: "/v1/usage/periods/{period}/close",
  tags,
  security,
  summary: "Freeze a finished month and emit usage.period_closed (idempotent)",
  request: { params: PeriodParam },
  responses: {
    201: { description: "Closed now", content: json(ClosedPeriodSchema) },
    200: { description: "Already closed: the numbers frozen then", content: json(ClosedPeriodSchema) },
    ...problemResponses(400, 401, 409),
  },
});

export const recordView = (row: UsageRecordRow) => ({
  id: row.id,
  meter: row.kind as keyof typeof meterDefinitions,
  unit: meterDefinitions[row.kind as keyof typeof meterDefinitions]?.unit ?? "millisecond",
  quantity: row.quantity,
  meetingId: row.meetingId,
  source: row.source,
  sourceId: row.sourceId,
  periodStart: row.periodStart.toISOString(),
  periodEnd: row.periodEnd.toISOString(),
  adjustmentOf: row.adjustmentOf,
  recordedAt: row.createdAt.toISOString(),
});

const lineView = (line: InvoiceLine | FrozenLine) => ({
  meter: line.meter,
  unit: line.unit,
  records: line.records,
  quantity: line.quantity,
  rounding: line.rounding,
  billedQuantity: line.billedQuantity,
  freeAllowance: line.freeAllowance,
  chargeableQuantity: line.chargeableQuantity,
  priceMicros: line.priceMicros,
  pricedPer: line.pricedPer,
  amountMinor: line.amountMinor,
});

function invalid(path: string, message: string): never {
  throw new ApiError("validation_failed", `${path} ${message}`, [{ path, message }]);
}

export const usageRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(listRecordsRoute, async (c) => {
    const db = c.get("db");
    const tenantId = c.get("tenantId");
    const { from, to, meeting, meter, cursor, limit } = c.req.valid("query");
    const range = checkRange(new Date(from), new Date(to), "day");
    if (!range.ok) invalid(range.path, range.message);
    const after = cursor === undefined ? undefined : decodeCursor(cursor);
    if (cursor !== undefined && !after) invalid("cursor", "is not one this API issued");
    if (meeting) await requireUsageMeeting(db, tenantId, meeting);
    const rows = await listUsageRecords(
      db,
      tenantId,
      { from: range.from, to: range.to, meetingId: meeting, meter },
      { limit: limit + 1, after: after && { at: after.createdAt, id: after.id } },
    );
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const nextCursor = rows.length > limit && last ? encodeCursor({ createdAt: last.periodEnd, id: last.id }) : null;
    return c.json({ data: page.map(recordView), nextCursor }, 200);
  })
  .openapi(seriesRoute, async (c) => {
    const db = c.get("db");
    const tenantId = c.get("tenantId");
    const { from, to, granularity, meeting } = c.req.valid("query");
    const checked = checkRange(new Date(from), new Date(to), granularity);
    if (!checked.ok) invalid(checked.path, checked.message);
    if (meeting) await requireUsageMeeting(db, tenantId, meeting);
    // Whole buckets only: the rollup is hourly, and a partial bucket would be a different number than its neighbour's.
    const start = bucketStart(checked.from, granularity);
    const last = bucketStart(new Date(checked.to.getTime() - 1), granularity);
    const end = new Date(last.getTime() + (granularity === "hour" ? 3_600_000 : 86_400_000));
    const rows = await usageSeries(db, tenantId, { from: start, to: end, granularity, meetingId: meeting });
    const totals = new Map<string, { meter: (typeof rows)[number]["meter"]; records: number; quantity: number }>();
    for (const row of rows) {
      const sum = totals.get(row.meter) ?? { meter: row.meter, records: 0, quantity: 0 };
      totals.set(row.meter, { meter: row.meter, records: sum.records + row.records, quantity: sum.quantity + row.quantity });
    }
    return c.json(
      {
        from: start.toISOString(),
        to: end.toISOString(),
        granularity,
        meetingId: meeting ?? null,
        data: rows.map((row) => ({
          bucketStart: row.bucket.toISOString(),
          meter: row.meter,
          unit: meterDefinitions[row.meter].unit,
          records: row.records,
          quantity: row.quantity,
        })),
        totals: [...totals.values()].map((t) => ({ ...t, unit: meterDefinitions[t.meter].unit })),
      },
      200,
    );
  })
  .openapi(invoicePreviewRoute, async (c) => {
    const db = c.get("db");
    const tenantId = c.get("tenantId");
    const name = c.req.valid("query").period;
    const period = name === undefined ? billingPeriodOf(new Date()) : parseBillingPeriod(name);
    if (!period) return invalid("period", "must be a month from 2000-01 to 2999-12");
    const base = { period: period.name, periodStart: period.start.toISOString(), periodEnd: period.end.toISOString() };
    // All three at once: a closed month needs only the first, an open one the other two.
    const [closed, totals, prices] = await Promise.all([
      findClosedPeriod(db, tenantId, period.name),
      rollupTotals(db, tenantId, period.start, period.end),
      readPrices(db, tenantId),
    ]);
    if (closed) {
      const frozen = { currency: closed.currency, lines: closed.lines as FrozenLine[], totalMinor: closed.totalMinor };
      const adjustments = adjustmentLines(frozen, await adjustmentTotals(db, tenantId, period.name));
      return c.json(
        {
          ...base,
          status: "closed" as const,
          closedAt: closed.closedAt.toISOString(),
          currency: closed.currency,
          lines: frozen.lines.map(lineView),
          totalMinor: closed.totalMinor,
          adjustments,
        },
        200,
      );
    }
    const invoice = priceInvoice(totals, effectivePrices(prices.defaults, prices.own));
    return c.json(
      {
        ...base,
        status: "open" as const,
        closedAt: null,
        currency: invoice.currency,
        lines: invoice.lines.map(lineView),
        totalMinor: invoice.totalMinor,
        adjustments: { lines: [], totalMinor: 0 },
      },
      200,
    );
  })
  .openapi(pricesRoute, async (c) => {
    const { defaults, own } = await readPrices(c.get("db"), c.get("tenantId"));
    const data = effectivePrices(defaults, own).map((price) => ({
      ...price,
      unit: meterDefinitions[price.meter].unit,
      pricedPer: meterDefinitions[price.meter].pricedPer.unit,
      source: own.includes(price) ? ("tenant" as const) : ("default" as const),
    }));
    return c.json({ data }, 200);
  })
  .openapi(closePeriodRoute, async (c) => {
    const period = parseBillingPeriod(c.req.valid("param").period);
    if (!period) return invalid("period", "must be a month from 2000-01 to 2999-12");
    if (!canClose(period, new Date())) throw new ApiError("usage_period_open", `${period.name} has not ended yet`);
    const config = readConfig(c.env);
    // The close and its webhook event commit together: an interactive transaction, so a pooled connection.
    const handle = openDatabase(config.DATABASE_URL, config.NEON_WS_PROXY);
    try {
      const closed = await closeUsagePeriod(handle.db, c.get("tenantId"), period);
      if (closed.endpointIds.length) c.executionCtx.waitUntil(pokeDispatchers(c.env.WEBHOOK_DISPATCHER, closed.endpointIds));
      const { row } = closed;
      return c.json(
        {
          period: row.period,
          periodStart: row.periodStart.toISOString(),
          periodEnd: row.periodEnd.toISOString(),
          closedAt: row.closedAt.toISOString(),
          currency: row.currency,
          totalMinor: row.totalMinor,
          lines: (row.lines as FrozenLine[]).map(lineView),
        },
        closed.created ? 201 : 200,
      );
    } finally {
      c.executionCtx.waitUntil(handle.close());
    }
  });
