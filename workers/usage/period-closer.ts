import { sql } from "drizzle-orm";
import { usagePeriods } from "../../schema/index.ts";
import type { Database } from "../db/database.ts";
import { recordWebhookEvent } from "../webhooks/record-event.ts";
import type { BillingPeriod } from "./billing-period.ts";
import { freezePeriod, periodClosedData } from "./period-close.ts";
import { effectivePrices } from "./pricing.ts";
import { findClosedPeriod, readPrices, rollupTotals, type UsagePeriodRow } from "./usage-repository.ts";

export interface ClosedPeriod {
  row: UsagePeriodRow;
  /** False when it was already closed: closing is idempotent and the first close's numbers stand. */
  created: boolean;
  /** Endpoints the `usage.period_closed` event was queued for: poke their dispatchers after the commit. */
  endpointIds: Awaited<ReturnType<typeof recordWebhookEvent>>;
}

/**
 * Freezes a tenant's month in one transaction: the tenant's period lock (the usage insert trigger takes it shared,
 * so a record lands either before the freeze or as its adjustment), the totals from the rollup priced with the
 * prices of now, the frozen row, and the `usage.period_closed` event with its deliveries.
 */
export async function closeUsagePeriod(db: Database, tenantId: string, period: BillingPeriod): Promise<ClosedPeriod> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended('usage_period:' || ${tenantId}::uuid::text, 0))`);
    const existing = await findClosedPeriod(tx, tenantId, period.name);
    if (existing) return { row: existing, created: false, endpointIds: [] };
    const totals = await rollupTotals(tx, tenantId, period.start, period.end);
    const { defaults, own } = await readPrices(tx, tenantId);
    const frozen = freezePeriod(totals, effectivePrices(defaults, own));
    const [row] = await tx
      .insert(usagePeriods)
      .values({
        tenantId,
        period: period.name,
        periodStart: period.start,
        periodEnd: period.end,
        currency: frozen.currency,
        lines: frozen.lines,
        totalMinor: frozen.totalMinor,
      })
      .returning();
    const endpointIds = await recordWebhookEvent(tx, {
      type: "usage.period_closed",
      data: periodClosedData(period, frozen),
      tenantId,
      meetingId: null,
      sourceKey: `usage.period_closed:${period.name}`,
      occurredAt: row!.closedAt,
    });
    return { row: row!, created: true, endpointIds };
  });
}
