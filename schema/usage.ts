import { sql } from "drizzle-orm";
import { bigint, check, foreignKey, index, jsonb, pgEnum, pgTable, primaryKey, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, tenantId, timestamptz } from "./columns.ts";
import { meetings } from "./meetings.ts";
import { tenants } from "./tenants.ts";

/**
 * The meters (workers/usage/meters.ts is their one definition). `participant_seconds`, `storage_byte_hours` and
 * `turn_relay_bytes` are older values no writer uses (an enum value can't be dropped in place).
 */
export const usageKind = pgEnum("usage_kind", [
  "participant_seconds",
  "sfu_participant_seconds",
  "recording_seconds",
  "storage_byte_hours",
  "turn_relay_bytes",
  "p2p_participant_seconds",
  "composited_seconds",
  "storage_byte_days",
  "attachment_bytes",
]);

/**
 * Billable usage, one row per fact. `source` + `source_id` name the fact, and one fact bills once per kind: a
 * duplicate or late report of it inserts nothing. Time kinds count milliseconds (period_end − period_start).
 * A record belongs to the period and bucket its `period_end` falls in; one landing in a period already closed is
 * marked `adjustment_of` that period (by the insert trigger), so the frozen numbers never change.
 */
export const usageRecords = pgTable(
  "usage_records",
  {
    id: id(),
    tenantId: tenantId().references(() => tenants.id),
    meetingId: uuid("meeting_id"),
    kind: usageKind("kind").notNull(),
    quantity: bigint("quantity", { mode: "number" }).notNull(),
    source: text("source").notNull().default("legacy"),
    sourceId: text("source_id").notNull(),
    periodStart: timestamptz("period_start").notNull(),
    periodEnd: timestamptz("period_end").notNull(),
    adjustmentOf: text("adjustment_of"),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("usage_records_source_uq").on(t.tenantId, t.kind, t.sourceId),
    // Listing and CSV walk (period_end, id) within a tenant; per-meeting series and records within a meeting.
    index("usage_records_tenant_end_idx").on(t.tenantId, t.periodEnd, t.id),
    index("usage_records_meeting_end_idx").on(t.tenantId, t.meetingId, t.periodEnd),
    index("usage_records_adjustment_idx").on(t.tenantId, t.adjustmentOf).where(sql`${t.adjustmentOf} is not null`),
    foreignKey({ columns: [t.tenantId, t.meetingId], foreignColumns: [meetings.tenantId, meetings.id] }),
    check("usage_records_quantity_ck", sql`${t.quantity} >= 0`),
    check("usage_records_period_ck", sql`${t.periodEnd} >= ${t.periodStart}`),
  ],
);

/**
 * Hourly sums per tenant and meter, kept by the insert trigger on usage_records (in the inserting statement, so
 * they can't drift): the unrounded sum and the sums of each record rounded up to a second and to a minute, so any
 * rounding rule prices from the rollup without reading the records.
 */
export const usageRollups = pgTable(
  "usage_rollups",
  {
    tenantId: tenantId().references(() => tenants.id),
    kind: usageKind("kind").notNull(),
    hour: timestamptz("hour").notNull(),
    records: bigint("records", { mode: "number" }).notNull(),
    quantity: bigint("quantity", { mode: "number" }).notNull(),
    ceilSecond: bigint("ceil_second", { mode: "number" }).notNull(),
    ceilMinute: bigint("ceil_minute", { mode: "number" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.hour, t.kind] })],
);

/**
 * Prices per meter: rows with no tenant are the default table, a tenant's own row for a meter overrides it.
 * Integers only: `price_micros` is millionths of the currency's minor unit per priced unit (a minute, a GiB-day,
 * a GiB); `free_allowance` is in the meter's base unit (ms, byte-days, bytes) per period.
 */
export const usagePrices = pgTable(
  "usage_prices",
  {
    id: id(),
    tenantId: uuid("tenant_id").references(() => tenants.id, { onDelete: "cascade" }),
    meter: text("meter").notNull(),
    currency: text("currency").notNull().default("USD"),
    priceMicros: bigint("price_micros", { mode: "number" }).notNull(),
    freeAllowance: bigint("free_allowance", { mode: "number" }).notNull().default(0),
    rounding: text("rounding").notNull().default("none"),
    updatedAt: timestamptz("updated_at").notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("usage_prices_tenant_meter_uq").on(t.tenantId, t.meter).where(sql`${t.tenantId} is not null`),
    uniqueIndex("usage_prices_default_meter_uq").on(t.meter).where(sql`${t.tenantId} is null`),
    check(
      "usage_prices_meter_ck",
      sql`${t.meter} in ('p2p_participant_seconds', 'sfu_participant_seconds', 'recording_seconds', 'composited_seconds', 'storage_byte_days', 'attachment_bytes')`,
    ),
    check("usage_prices_rounding_ck", sql`${t.rounding} in ('none', 'ceil_second', 'ceil_minute')`),
    check("usage_prices_amounts_ck", sql`${t.priceMicros} >= 0 and ${t.freeAllowance} >= 0`),
    check("usage_prices_currency_ck", sql`${t.currency} ~ '^[A-Z]{3}$'`),
  ],
);

/** A closed month: its numbers as frozen at close (lines priced with the prices of that moment). */
export const usagePeriods = pgTable(
  "usage_periods",
  {
    id: id(),
    tenantId: tenantId().references(() => tenants.id, { onDelete: "cascade" }),
    /** `yyyy-mm` (UTC). */
    period: text("period").notNull(),
    periodStart: timestamptz("period_start").notNull(),
    periodEnd: timestamptz("period_end").notNull(),
    currency: text("currency").notNull(),
    lines: jsonb("lines").$type<unknown[]>().notNull(),
    totalMinor: bigint("total_minor", { mode: "number" }).notNull(),
    closedAt: timestamptz("closed_at").notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("usage_periods_tenant_period_uq").on(t.tenantId, t.period),
    index("usage_periods_tenant_range_idx").on(t.tenantId, t.periodStart),
  ],
);
