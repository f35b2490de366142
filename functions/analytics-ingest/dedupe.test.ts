import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dedupeBy } from "./dedupe.ts";

const records = fc.array(fc.record({ id: fc.constantFrom("a", "b", "c", "d"), n: fc.nat() }), { maxLength: 40 });

describe("deduplicating a batch's records", () => {
  it("keeps each id once, the first, in batch order; doing it again changes nothing", () => {
    fc.assert(
      fc.property(records, (rs) => {
        const once = dedupeBy(rs, (r) => r.id);
        const twice = dedupeBy(once.kept, (r) => r.id);
        expect(twice.kept).toEqual(once.kept);
        expect(twice.duplicates).toBe(0);
        expect(once.kept.map((r) => r.id)).toEqual([...new Set(rs.map((r) => r.id))]);
        expect(once.kept.every((r) => rs.find((x) => x.id === r.id) === r)).toBe(true);
        expect(once.kept.length + once.duplicates).toBe(rs.length);
      }),
    );
  });
});
