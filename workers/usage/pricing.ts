import { meterDefinitions, usageMeters, type MeterUnit, type UsageMeter } from "./meters.ts";
import { roundRecord, type RoundingRule } from "./rounding.ts";

/**
 * Pricing: a meter's records, each rounded by the tenant's rule, summed; the free allowance taken off; the rest
 * priced per minute (or GiB-day, GiB) with proration down to the base unit. Money is integers only: a price is
 * in millionths of the currency's minor unit per priced unit, an amount in minor units, rounded half up once per
 * meter line (never per record, so a million tiny records can't each round a fraction away). Pure.
 */
export interface MeterPrice {
  meter: UsageMeter;
  currency: string;
  /** Millionths of the minor unit per priced unit (per minute for time meters): 500 = 0.05 cents a minute in USD. */
  priceMicros: number;
  /** Base units free per period (ms for time meters), after rounding. */
  freeAllowance: number;
  rounding: RoundingRule;
}

/** A meter's records summed three ways, so any rounding rule can be priced from one pass (or one rollup row). */
export interface MeterTotals {
  meter: UsageMeter;
  records: number;
  /** Σ quantity, unrounded. */
  quantity: number;
  /** Σ of each record rounded up to a second / a minute (equal to `quantity` for non-time meters). */
  ceilSecond: number;
  ceilMinute: number;
}

export interface InvoiceLine {
  meter: UsageMeter;
  unit: MeterUnit;
  records: number;
  quantity: number;
  rounding: RoundingRule;
  /** After per-record rounding. */
  billedQuantity: number;
  freeAllowance: number;
  chargeableQuantity: number;
  priceMicros: number;
  pricedPer: string;
  amountMinor: number;
}

export interface Invoice {
  currency: string;
  lines: InvoiceLine[];
  totalMinor: number;
}

export const emptyTotals = (meter: UsageMeter): MeterTotals => ({ meter, records: 0, quantity: 0, ceilSecond: 0, ceilMinute: 0 });

/** Adds one record to a meter's totals (the same sums the database's rollup keeps). */
export function addRecord(totals: MeterTotals, quantity: number): MeterTotals {
  return {
    meter: totals.meter,
    records: totals.records + 1,
    quantity: totals.quantity + quantity,
    ceilSecond: totals.ceilSecond + (meterDefinitions[totals.meter].time ? roundRecord(quantity, "ceil_second") : quantity),
    ceilMinute: totals.ceilMinute + (meterDefinitions[totals.meter].time ? roundRecord(quantity, "ceil_minute") : quantity),
  };
}

export function billedQuantity(totals: MeterTotals, rule: RoundingRule): number {
  if (rule === "ceil_second") return totals.ceilSecond;
  if (rule === "ceil_minute") return totals.ceilMinute;
  return totals.quantity;
}

/** n / d rounded half up, for n ≥ 0 and d > 0, exactly (BigInt). */
function divideHalfUp(n: bigint, d: bigint): bigint {
  return (2n * n + d) / (2n * d);
}

export function priceLine(totals: MeterTotals, price: MeterPrice): InvoiceLine {
  const definition = meterDefinitions[totals.meter];
  const billed = billedQuantity(totals, price.rounding);
  const chargeable = Math.max(0, billed - price.freeAllowance);
  const amount = divideHalfUp(BigInt(chargeable) * BigInt(price.priceMicros), BigInt(definition.pricedPer.baseUnits) * 1_000_000n);
  return {
    meter: totals.meter,
    unit: definition.unit,
    records: totals.records,
    quantity: totals.quantity,
    rounding: price.rounding,
    billedQuantity: billed,
    freeAllowance: price.freeAllowance,
    chargeableQuantity: chargeable,
    priceMicros: price.priceMicros,
    pricedPer: definition.pricedPer.unit,
    amountMinor: Number(amount),
  };
}

/** Every meter priced (a meter with no records is a zero line), in the catalog's order. */
export function priceInvoice(totals: readonly MeterTotals[], prices: readonly MeterPrice[]): Invoice {
  const byMeter = new Map(totals.map((t) => [t.meter, t]));
  const lines: InvoiceLine[] = [];
  for (const meter of usageMeters) {
    const price = prices.find((p) => p.meter === meter);
    if (!price) continue;
    lines.push(priceLine(byMeter.get(meter) ?? emptyTotals(meter), price));
  }
  const currency = prices[0]?.currency ?? "USD";
  return { currency, lines, totalMinor: lines.reduce((sum, line) => sum + line.amountMinor, 0) };
}

/**
 * A tenant's effective price table: its own row for a meter where it has one, else the default row. Meters
 * without either are not billed (and not listed).
 */
export function effectivePrices(defaults: readonly MeterPrice[], own: readonly MeterPrice[]): MeterPrice[] {
  return usageMeters.flatMap((meter) => own.find((p) => p.meter === meter) ?? defaults.find((p) => p.meter === meter) ?? []);
}
