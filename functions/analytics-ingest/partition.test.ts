import { describe, expect, it } from "vitest";
import { batchObjectKeys, dayPartition, daysOf, groupByObjectKey, sampleObjectKey } from "./partition.ts";

const tenant = "7b0c8f9e-1a2b-4c3d-8e9f-0a1b2c3d4e5f";
const batch = "0f1e2d3c-4b5a-4968-8776-655443322110";

describe("where a batch's data goes", () => {
  it("keys a sample's Parquet object by tenant, UTC date and hour, named for the batch", () => {
    expect(sampleObjectKey(tenant, Date.UTC(2026, 0, 9, 7, 59, 59, 999), batch)).toBe(
      `samples/tenant=${tenant}/date=2026-01-09/hour=07/${batch}.parquet`,
    );
    expect(sampleObjectKey(tenant, Date.UTC(2026, 0, 9, 23, 0), batch)).toContain("/date=2026-01-09/hour=23/");
  });

  it("gives a batch's samples the same key as sampleObjectKey, hour by hour", () => {
    const keyOf = batchObjectKeys(tenant, batch);
    for (const at of [
      Date.UTC(2026, 0, 9, 7, 0),
      Date.UTC(2026, 0, 9, 7, 59, 59, 999),
      Date.UTC(2026, 0, 9, 8, 0, 0, 1),
      Date.UTC(2026, 0, 10, 0, 5),
    ]) {
      expect(keyOf(at)).toBe(sampleObjectKey(tenant, at, batch));
    }
  });

  it("groups samples by object, keys in order", () => {
    const at = (h: number) => ({ receivedAt: Date.UTC(2026, 0, 9, h, 30) });
    const groups = groupByObjectKey([at(10), at(9), at(10)], (s) => sampleObjectKey(tenant, s.receivedAt, batch));
    expect([...groups.keys()].map((k) => k.match(/hour=(\d\d)/)![1])).toEqual(["09", "10"]);
    expect([...groups.values()].map((g) => g.length)).toEqual([1, 2]);
  });

  it("names a day partition for its UTC day, holding [midnight, next midnight)", () => {
    expect(dayPartition("analytics_samples", Date.UTC(2026, 1, 28, 23, 59))).toEqual({
      table: "analytics_samples",
      name: "analytics_samples_p20260228",
      from: "2026-02-28T00:00:00.000Z",
      to: "2026-03-01T00:00:00.000Z",
    });
    expect(daysOf([Date.UTC(2026, 0, 2, 5), Date.UTC(2026, 0, 1, 1), Date.UTC(2026, 0, 2, 23)])).toEqual([
      Date.UTC(2026, 0, 1),
      Date.UTC(2026, 0, 2),
    ]);
  });
});
