import { z } from "@hono/zod-openapi";
import { usageMeters } from "../../usage/meters.ts";
import { roundingRules } from "../../usage/rounding.ts";

const dateTime = z.iso.datetime({ offset: true });
const query = <T extends z.ZodType>(schema: T, name: string, description?: string) =>
  schema.openapi({ param: { name, in: "query" }, ...(description ? { description } : {}) });

const Meter = z.enum(usageMeters).openapi("UsageMeter");
const Unit = z.enum(["millisecond", "byte_day", "byte"]);

export const UsageRecordsQuery = z.object({
  from: query(dateTime, "from", "Records whose period ended at or after this time"),
  to: query(dateTime, "to", "…and before this time"),
  meeting: query(z.uuid().toLowerCase().optional(), "meeting"),
  meter: query(Meter.optional(), "meter"),
  cursor: query(z.string().max(200).optional(), "cursor"),
  limit: query(z.coerce.number().int().min(1).max(1000).default(100), "limit"),
});

export const UsageExportQuery = UsageRecordsQuery.omit({ cursor: true, limit: true });

export const UsageRecordSchema = z
  .object({
    id: z.uuid(),
    meter: Meter,
    unit: Unit,
    quantity: z.number().int().openapi({ description: "In `unit` (time meters: milliseconds)" }),
    meetingId: z.uuid().nullable(),
    source: z.string().openapi({ description: "livekit_webhook, room, reconciliation, object_store, …" }),
    sourceId: z.string().openapi({ description: "The fact within its source; one record per fact" }),
    periodStart: z.string(),
    periodEnd: z.string(),
    adjustmentOf: z.string().nullable().openapi({ description: "The closed period (yyyy-mm) this late record adjusts" }),
    recordedAt: z.string(),
  })
  .openapi("UsageRecord");

export const UsageRecordPageSchema = z
  .object({ data: z.array(UsageRecordSchema), nextCursor: z.string().nullable() })
  .openapi("UsageRecordPage");

export const UsageSeriesQuery = z.object({
  from: query(dateTime, "from", "Rounded down to the granularity"),
  to: query(dateTime, "to", "Rounded up to the granularity"),
  granularity: query(z.enum(["hour", "day"]).default("day"), "granularity"),
  meeting: query(z.uuid().toLowerCase().optional(), "meeting"),
});

const MeterSums = z.object({ meter: Meter, unit: Unit, records: z.number().int(), quantity: z.number().int() });

export const UsageSeriesSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    granularity: z.enum(["hour", "day"]),
    meetingId: z.uuid().nullable(),
    data: z.array(MeterSums.extend({ bucketStart: z.string() })),
    totals: z.array(MeterSums),
  })
  .openapi("UsageSeries");

const periodName = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, "a month as yyyy-mm");

export const InvoicePreviewQuery = z.object({
  period: query(periodName.optional(), "period", "yyyy-mm (UTC); the current month when absent"),
});

export const PeriodParam = z.object({ period: periodName.openapi({ param: { name: "period", in: "path" }, example: "2026-11" }) });

const InvoiceLineSchema = z.object({
  meter: Meter,
  unit: Unit,
  records: z.number().int(),
  quantity: z.number().int(),
  rounding: z.enum(roundingRules),
  billedQuantity: z.number().int(),
  freeAllowance: z.number().int(),
  chargeableQuantity: z.number().int(),
  priceMicros: z.number().int(),
  pricedPer: z.string(),
  amountMinor: z.number().int(),
});

export const InvoicePreviewSchema = z
  .object({
    period: z.string(),
    periodStart: z.string(),
    periodEnd: z.string(),
    status: z.enum(["open", "closed"]),
    closedAt: z.string().nullable(),
    currency: z.string(),
    lines: z.array(InvoiceLineSchema),
    totalMinor: z.number().int().openapi({ description: "Minor units of `currency` (cents)" }),
    adjustments: z
      .object({
        lines: z.array(
          z.object({
            meter: Meter,
            records: z.number().int(),
            quantity: z.number().int(),
            billedQuantity: z.number().int(),
            amountMinor: z.number().int(),
          }),
        ),
        totalMinor: z.number().int(),
      })
      .openapi({ description: "Records that arrived after the close, priced as the frozen lines were; the frozen numbers never change" }),
  })
  .openapi("InvoicePreview");

export const PriceSchema = z
  .object({
    meter: Meter,
    unit: Unit,
    currency: z.string(),
    priceMicros: z.number().int().openapi({ description: "Millionths of the currency's minor unit per `pricedPer`" }),
    pricedPer: z.enum(["minute", "gib_day", "gib"]),
    freeAllowance: z.number().int().openapi({ description: "Free per period, in `unit`, after rounding" }),
    rounding: z.enum(roundingRules).openapi({ description: "Applied to each record before summing" }),
    source: z.enum(["tenant", "default"]),
  })
  .openapi("UsagePrice");

export const PriceListSchema = z.object({ data: z.array(PriceSchema) }).openapi("UsagePriceList");

export const ClosedPeriodSchema = z
  .object({
    period: z.string(),
    periodStart: z.string(),
    periodEnd: z.string(),
    closedAt: z.string(),
    currency: z.string(),
    totalMinor: z.number().int(),
    lines: z.array(InvoiceLineSchema),
  })
  .openapi("ClosedUsagePeriod");
