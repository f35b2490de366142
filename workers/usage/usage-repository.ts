import { and, asc, eq, gt, gte, isNull, lt, or, sql, type SQL } from "drizzle-orm";
import { meetings, usagePeriods, usagePrices, usageRecords, usageRollups } from "../../schema/index.ts";
import type { QueryDatabase } from "../db/database.ts";
import type { TenantId } from "../../protocol/ids.ts";
import { isUsageMeter, type UsageMeter } from "./meters.ts";
import type { MeterPrice, MeterTotals } from "./pricing.ts";
import type { RoundingRule } from "./rounding.ts";
import type { Granularity } from "./usage-range.ts";

/** Usage reads. Every query takes the tenant and filters on it first: there is no unscoped read. */
export type UsageRecordRow = typeof usageRecords.$inferSelect;

export interface RecordFilter {
  from: Date;
  to: Date;
  meetingId?: string | undefined;
  meter?: UsageMeter | undefined;
}

function recordConditions(tenantId: TenantId, filter: RecordFilter): SQL[] {
  return [
    eq(usageRecords.tenantId, tenantId),
    gte(usageRecords.periodEnd, filter.from),
    lt(usageRecords.periodEnd, filter.to),
    ...(filter.meetingId ? [eq(usageRecords.meetingId, filter.meetingId)] : []),
    ...(filter.meter ? [eq(usageRecords.kind, filter.meter)] : []),
  ];
}

/** Records in (period_end, id) order after the cursor: the facts behind every number, page by page. */
export async function listUsageRecords(
  db: QueryDatabase,
  tenantId: TenantId,
  filter: RecordFilter,
  page: { limit: number; after?: { at: Date; id: string } | undefined },
): Promise<UsageRecordRow[]> {
  const { after } = page;
  const afterCondition = after
    ? or(gt(usageRecords.periodEnd, after.at), and(eq(usageRecords.periodEnd, after.at), gt(usageRecords.id, after.id)))
    : undefined;
  return db
    .select()
    .from(usageRecords)
    .where(and(...recordConditions(tenantId, filter), afterCondition))
    .orderBy(asc(usageRecords.periodEnd), asc(usageRecords.id))
    .limit(page.limit);
}

/** Whether the tenant has (or had: deleted meetings keep their usage) this meeting. */
export async function tenantHasMeeting(db: QueryDatabase, tenantId: TenantId, meetingId: string): Promise<boolean> {
  const [row] = await db
    .select({ id: meetings.id })
    .from(meetings)
    .where(and(eq(meetings.tenantId, tenantId), eq(meetings.id, meetingId)));
  return row !== undefined;
}

export interface SeriesRow extends MeterTotals {
  bucket: Date;
}

const ceilSecondSum = sql`sum(case when ${usageRecords.kind}::text like '%_seconds' then (${usageRecords.quantity} + 999) / 1000 * 1000 else ${usageRecords.quantity} end)`;
const ceilMinuteSum = sql`sum(case when ${usageRecords.kind}::text like '%_seconds' then (${usageRecords.quantity} + 59999) / 60000 * 60000 else ${usageRecords.quantity} end)`;

/** Per-meter sums over raw records: what every total and series reads from them. */
const recordSums = {
  meter: usageRecords.kind,
  records: sql<string>`count(*)`,
  quantity: sql<string>`sum(${usageRecords.quantity})`,
  ceilSecond: sql<string>`${ceilSecondSum}`,
  ceilMinute: sql<string>`${ceilMinuteSum}`,
};

/** The same sums read from the hourly rollup. */
const rollupSums = {
  meter: usageRollups.kind,
  records: sql<string>`sum(${usageRollups.records})`,
  quantity: sql<string>`sum(${usageRollups.quantity})`,
  ceilSecond: sql<string>`sum(${usageRollups.ceilSecond})`,
  ceilMinute: sql<string>`sum(${usageRollups.ceilMinute})`,
};

/**
 * Sums per bucket and meter over [from, to) (bucket-aligned by the caller). A tenant-wide series reads the hourly
 * rollup (at most 24 rows per meter a day, whatever the record count); a meeting's reads its records through the
 * (tenant, meeting, period_end) index.
 */
export async function usageSeries(
  db: QueryDatabase,
  tenantId: TenantId,
  range: { from: Date; to: Date; granularity: Granularity; meetingId?: string | undefined },
): Promise<SeriesRow[]> {
  const unit = sql.raw(`'${range.granularity}'`);
  const rows = range.meetingId
    ? await db
        .select({
          bucket: sql<Date>`date_trunc(${unit}, ${usageRecords.periodEnd}, 'UTC')`.as("bucket"),
          ...recordSums,
        })
        .from(usageRecords)
        .where(and(...recordConditions(tenantId, { from: range.from, to: range.to, meetingId: range.meetingId })))
        .groupBy(sql`1`, usageRecords.kind)
        .orderBy(sql`1`, usageRecords.kind)
    : await db
        .select({
          bucket: sql<Date>`date_trunc(${unit}, ${usageRollups.hour}, 'UTC')`.as("bucket"),
          ...rollupSums,
        })
        .from(usageRollups)
        .where(and(eq(usageRollups.tenantId, tenantId), gte(usageRollups.hour, range.from), lt(usageRollups.hour, range.to)))
        .groupBy(sql`1`, usageRollups.kind)
        .orderBy(sql`1`, usageRollups.kind);
  return rows.flatMap((row) =>
    isUsageMeter(row.meter)
      ? [
          {
            bucket: new Date(row.bucket),
            meter: row.meter,
            records: Number(row.records),
            quantity: Number(row.quantity),
            ceilSecond: Number(row.ceilSecond),
            ceilMinute: Number(row.ceilMinute),
          },
        ]
      : [],
  );
}

/** Per-meter totals over whole hours [from, to), from the rollup. */
export async function rollupTotals(db: Pick<QueryDatabase, "select">, tenantId: string, from: Date, to: Date): Promise<MeterTotals[]> {
  const rows = await db
    .select(rollupSums)
    .from(usageRollups)
    .where(and(eq(usageRollups.tenantId, tenantId), gte(usageRollups.hour, from), lt(usageRollups.hour, to)))
    .groupBy(usageRollups.kind);
  return toTotals(rows);
}

/** Per-meter totals of the records that arrived after their period was closed (its adjustments). */
export async function adjustmentTotals(db: QueryDatabase, tenantId: TenantId, period: string): Promise<MeterTotals[]> {
  const rows = await db
    .select(recordSums)
    .from(usageRecords)
    .where(and(eq(usageRecords.tenantId, tenantId), eq(usageRecords.adjustmentOf, period)))
    .groupBy(usageRecords.kind);
  return toTotals(rows);
}

function toTotals(rows: { meter: string; records: string; quantity: string; ceilSecond: string; ceilMinute: string }[]): MeterTotals[] {
  return rows.flatMap((row) =>
    isUsageMeter(row.meter)
      ? [
          {
            meter: row.meter,
            records: Number(row.records),
            quantity: Number(row.quantity),
            ceilSecond: Number(row.ceilSecond),
            ceilMinute: Number(row.ceilMinute),
          },
        ]
      : [],
  );
}

/** The default price rows and the tenant's own. */
export async function readPrices(
  db: Pick<QueryDatabase, "select">,
  tenantId: string,
): Promise<{ defaults: MeterPrice[]; own: MeterPrice[] }> {
  const rows = await db
    .select()
    .from(usagePrices)
    .where(or(eq(usagePrices.tenantId, tenantId), isNull(usagePrices.tenantId)));
  const price = (row: (typeof rows)[number]): MeterPrice[] =>
    isUsageMeter(row.meter)
      ? [
          {
            meter: row.meter,
            currency: row.currency,
            priceMicros: row.priceMicros,
            freeAllowance: row.freeAllowance,
            rounding: row.rounding as RoundingRule,
          },
        ]
      : [];
  return { defaults: rows.filter((r) => r.tenantId === null).flatMap(price), own: rows.filter((r) => r.tenantId !== null).flatMap(price) };
}

export type UsagePeriodRow = typeof usagePeriods.$inferSelect;

export async function findClosedPeriod(
  db: Pick<QueryDatabase, "select">,
  tenantId: string,
  period: string,
): Promise<UsagePeriodRow | undefined> {
  const [row] = await db
    .select()
    .from(usagePeriods)
    .where(and(eq(usagePeriods.tenantId, tenantId), eq(usagePeriods.period, period)));
  return row;
}

/** The tenant's meetings that are live now: the ones whose SFU sessions reconciliation compares. */
export async function liveMeetingIds(db: QueryDatabase, tenantId: TenantId): Promise<string[]> {
  const rows = await db
    .select({ id: meetings.id })
    .from(meetings)
    .where(and(eq(meetings.tenantId, tenantId), eq(meetings.status, "live"), isNull(meetings.deletedAt)));
  return rows.map((r) => r.id);
}
