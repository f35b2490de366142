import type { BillingPeriod } from "./billing-period.ts";
import { priceInvoice, priceLine, type InvoiceLine, type MeterPrice, type MeterTotals } from "./pricing.ts";

/**
 * What a period close freezes, and how records that arrive afterwards are billed without touching it: each frozen
 * line keeps the totals and the price it was computed from, and an adjustment is the difference between pricing
 * frozen + late under that same price and the frozen amount (so a late record can't claim the free allowance
 * twice, nor be priced at a later price). Pure.
 */
export interface FrozenLine extends InvoiceLine {
  currency: string;
  ceilSecond: number;
  ceilMinute: number;
}

export interface FrozenPeriod {
  currency: string;
  lines: FrozenLine[];
  totalMinor: number;
}

export function freezePeriod(totals: readonly MeterTotals[], prices: readonly MeterPrice[]): FrozenPeriod {
  const invoice = priceInvoice(totals, prices);
  const lines = invoice.lines.map((line): FrozenLine => {
    const t = totals.find((x) => x.meter === line.meter);
    return { ...line, currency: invoice.currency, ceilSecond: t?.ceilSecond ?? 0, ceilMinute: t?.ceilMinute ?? 0 };
  });
  return { currency: invoice.currency, lines, totalMinor: invoice.totalMinor };
}

export interface AdjustmentLine {
  meter: InvoiceLine["meter"];
  records: number;
  quantity: number;
  billedQuantity: number;
  amountMinor: number;
}

export function adjustmentLines(frozen: FrozenPeriod, late: readonly MeterTotals[]): { lines: AdjustmentLine[]; totalMinor: number } {
  const lines: AdjustmentLine[] = [];
  for (const add of late) {
    const line = frozen.lines.find((l) => l.meter === add.meter);
    if (!line) continue;
    const price: MeterPrice = {
      meter: line.meter,
      currency: line.currency,
      priceMicros: line.priceMicros,
      freeAllowance: line.freeAllowance,
      rounding: line.rounding,
    };
    const combined = priceLine(
      {
        meter: line.meter,
        records: line.records + add.records,
        quantity: line.quantity + add.quantity,
        ceilSecond: line.ceilSecond + add.ceilSecond,
        ceilMinute: line.ceilMinute + add.ceilMinute,
      },
      price,
    );
    lines.push({
      meter: line.meter,
      records: add.records,
      quantity: add.quantity,
      billedQuantity: combined.billedQuantity - line.billedQuantity,
      amountMinor: combined.amountMinor - line.amountMinor,
    });
  }
  return { lines, totalMinor: lines.reduce((sum, l) => sum + l.amountMinor, 0) };
}

/** The `usage.period_closed` webhook's data for a frozen period. */
export function periodClosedData(period: BillingPeriod, frozen: FrozenPeriod) {
  return {
    periodStart: period.start.toISOString(),
    periodEnd: period.end.toISOString(),
    meters: frozen.lines.map((l) => ({
      meter: l.meter,
      quantity: l.quantity,
      billedQuantity: l.billedQuantity,
      amountMinor: l.amountMinor,
    })),
    totalMinor: frozen.totalMinor,
    currency: frozen.currency,
  };
}
