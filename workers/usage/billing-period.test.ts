import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { billingPeriodOf, canClose, parseBillingPeriod } from "./billing-period.ts";
import { checkRange } from "./usage-range.ts";
import { csvCell, csvLine } from "./usage-csv.ts";

describe("billing periods", () => {
  it("parses yyyy-mm into a UTC month and refuses anything else", () => {
    expect(parseBillingPeriod("2026-11")).toEqual({
      name: "2026-11",
      start: new Date("2026-11-01T00:00:00Z"),
      end: new Date("2026-12-01T00:00:00Z"),
    });
    expect(parseBillingPeriod("2026-12")?.end).toEqual(new Date("2027-01-01T00:00:00Z"));
    for (const bad of ["2026-13", "2026-00", "2026-1", "26-01", "2026-01-01", "", "1999-12", "abcd-ef"]) {
      expect(parseBillingPeriod(bad)).toBeUndefined();
    }
  });

  it("property: every instant falls in the period billingPeriodOf names", () => {
    fc.assert(
      fc.property(fc.date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2999-12-31T23:59:59Z"), noInvalidDate: true }), (at) => {
        const period = billingPeriodOf(at);
        expect(period.start.getTime()).toBeLessThanOrEqual(at.getTime());
        expect(at.getTime()).toBeLessThan(period.end.getTime());
      }),
    );
  });

  it("a period can be closed only once it is over", () => {
    const period = parseBillingPeriod("2026-11")!;
    expect(canClose(period, new Date("2026-11-30T23:59:59Z"))).toBe(false);
    expect(canClose(period, new Date("2026-12-01T00:00:00Z"))).toBe(true);
  });
});

describe("usage query ranges", () => {
  it("refuses an empty or reversed range and a series longer than the bucket limit", () => {
    const at = new Date("2026-11-01T00:00:00Z");
    expect(checkRange(at, at, "hour")).toMatchObject({ ok: false, path: "to" });
    expect(checkRange(at, new Date("2026-12-02T00:00:01Z"), "hour")).toMatchObject({ ok: false });
    expect(checkRange(at, new Date("2026-12-01T00:00:00Z"), "hour")).toMatchObject({ ok: true });
    expect(checkRange(at, new Date("2027-11-01T00:00:00Z"), "day")).toMatchObject({ ok: true });
    expect(checkRange(at, new Date("2028-11-01T00:00:00Z"), "day")).toMatchObject({ ok: false });
  });
});

describe("CSV export", () => {
  it("quotes separators and neutralises cells a spreadsheet would run", () => {
    expect(csvCell('a,"b"')).toBe('"a,""b"""');
    expect(csvCell("=HYPERLINK(1)")).toBe("'=HYPERLINK(1)");
    expect(csvCell("-1+1")).toBe("'-1+1");
    expect(csvCell(-5)).toBe("-5");
    expect(csvCell(null)).toBe("");
    const line = csvLine({
      id: "i",
      meter: "attachment_bytes",
      unit: "byte",
      quantity: 3,
      meeting_id: null,
      source: "object_store",
      source_id: "s3:a\nb",
      period_start: "x",
      period_end: "y",
      adjustment_of: null,
      recorded_at: "z",
    });
    expect(line).toBe('i,attachment_bytes,byte,3,,object_store,"s3:a\nb",x,y,,z\r\n');
  });
});
