import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addRecord, emptyTotals, effectivePrices, priceInvoice, priceLine, type MeterPrice } from "./pricing.ts";
import { roundRecord } from "./rounding.ts";

const sfu = (over: Partial<MeterPrice> = {}): MeterPrice => ({
  meter: "sfu_participant_seconds",
  currency: "USD",
  priceMicros: 400_000,
  freeAllowance: 0,
  rounding: "ceil_second",
  ...over,
});

const totalsOf = (quantities: number[]) => quantities.reduce(addRecord, emptyTotals("sfu_participant_seconds"));

describe("per-record rounding", () => {
  it("rounds each record up to its step and never down", () => {
    expect(roundRecord(10_000, "ceil_minute")).toBe(60_000);
    expect(roundRecord(70_000, "ceil_minute")).toBe(120_000);
    expect(roundRecord(60_000, "ceil_minute")).toBe(60_000);
    expect(roundRecord(1_001, "ceil_second")).toBe(2_000);
    expect(roundRecord(1_001, "none")).toBe(1_001);
    expect(roundRecord(0, "ceil_minute")).toBe(0);
  });

  it("rounding is applied per record before summing (10 s and 70 s at ceil_minute bill 3 minutes)", () => {
    const line = priceLine(totalsOf([10_000, 70_000]), sfu({ rounding: "ceil_minute" }));
    expect(line.billedQuantity).toBe(180_000);
    expect(line.quantity).toBe(80_000);
  });

  it("property: none ≤ ceil_second ≤ ceil_minute, each within one step per record of the exact sum", () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 10_000_000 }), { maxLength: 200 }), (quantities) => {
        const t = totalsOf(quantities);
        expect(t.quantity).toBe(quantities.reduce((a, b) => a + b, 0));
        expect(t.ceilSecond).toBeGreaterThanOrEqual(t.quantity);
        expect(t.ceilMinute).toBeGreaterThanOrEqual(t.ceilSecond);
        expect(t.ceilSecond - t.quantity).toBeLessThan(1_000 * Math.max(1, quantities.length));
        expect(t.ceilMinute - t.quantity).toBeLessThan(60_000 * Math.max(1, quantities.length));
      }),
    );
  });
});

describe("pricing", () => {
  it("prorates a per-minute price per second: 90 s at 0.4 minor units a minute is 0.6 → 1 (half up)", () => {
    expect(priceLine(totalsOf([90_000]), sfu()).amountMinor).toBe(1);
    expect(priceLine(totalsOf([90_000]), sfu({ priceMicros: 100_000_000 })).amountMinor).toBe(150);
  });

  it("the free allowance comes off the rounded quantity, never below zero", () => {
    const line = priceLine(totalsOf([30_500, 30_500]), sfu({ priceMicros: 60_000_000, freeAllowance: 60_000 }));
    expect(line.billedQuantity).toBe(62_000);
    expect(line.chargeableQuantity).toBe(2_000);
    expect(line.amountMinor).toBe(2);
    expect(priceLine(totalsOf([1_000]), sfu({ freeAllowance: 60_000 })).amountMinor).toBe(0);
  });

  it("property: amounts are integers, monotone in usage, and exact for whole minutes", () => {
    fc.assert(
      fc.property(fc.nat({ max: 1e9 }), fc.nat({ max: 1e9 }), fc.nat({ max: 1e9 }), (a, b, price) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const low = priceLine(totalsOf([lo]), sfu({ rounding: "none", priceMicros: price })).amountMinor;
        const high = priceLine(totalsOf([hi]), sfu({ rounding: "none", priceMicros: price })).amountMinor;
        expect(Number.isInteger(low)).toBe(true);
        expect(high).toBeGreaterThanOrEqual(low);
      }),
    );
    fc.assert(
      fc.property(fc.nat({ max: 100_000 }), fc.nat({ max: 1_000 }), (minutes, minorPerMinute) => {
        const line = priceLine(totalsOf([minutes * 60_000]), sfu({ rounding: "none", priceMicros: minorPerMinute * 1_000_000 }));
        expect(line.amountMinor).toBe(minutes * minorPerMinute);
      }),
    );
  });

  it("an invoice lists every priced meter (zero lines too) and totals the lines", () => {
    const prices = effectivePrices(
      [sfu(), { ...sfu(), meter: "p2p_participant_seconds", priceMicros: 0 }],
      [sfu({ priceMicros: 60_000_000, rounding: "ceil_minute" })],
    );
    const invoice = priceInvoice([totalsOf([10_000])], prices);
    expect(invoice.lines.map((l) => [l.meter, l.amountMinor])).toEqual([
      ["p2p_participant_seconds", 0],
      ["sfu_participant_seconds", 60],
    ]);
    expect(invoice.totalMinor).toBe(60);
  });
});
