import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { adjustmentLines, freezePeriod } from "./period-close.ts";
import { addRecord, emptyTotals, priceInvoice, type MeterPrice } from "./pricing.ts";

const price: MeterPrice = {
  meter: "sfu_participant_seconds",
  currency: "USD",
  priceMicros: 7_000_000,
  freeAllowance: 120_000,
  rounding: "ceil_minute",
};
const totalsOf = (quantities: number[]) => quantities.reduce(addRecord, emptyTotals("sfu_participant_seconds"));

describe("period close", () => {
  it("freezes the priced lines with the totals they came from", () => {
    const frozen = freezePeriod([totalsOf([30_000, 200_000])], [price]);
    expect(frozen.lines[0]).toMatchObject({ billedQuantity: 300_000, chargeableQuantity: 180_000, amountMinor: 21, ceilMinute: 300_000 });
    expect(frozen.totalMinor).toBe(21);
  });

  it("property: frozen + adjustments = what the whole period would have cost had every record been on time", () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 600_000 }), { maxLength: 30 }),
        fc.array(fc.nat({ max: 600_000 }), { maxLength: 30 }),
        (onTime, late) => {
          const frozen = freezePeriod([totalsOf(onTime)], [price]);
          const adjustments = adjustmentLines(frozen, [totalsOf(late)]);
          const whole = priceInvoice([totalsOf([...onTime, ...late])], [price]);
          expect(frozen.totalMinor + adjustments.totalMinor).toBe(whole.totalMinor);
          expect(adjustments.totalMinor).toBeGreaterThanOrEqual(0);
        },
      ),
    );
  });
});
