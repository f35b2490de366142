import { describe, expect, it } from "vitest";
import { decodeHourlyCursor, encodeHourlyCursor } from "./hourly-cursor.ts";

const cursor = { hour: new Date("2025-06-10T10:00:00Z"), meetingId: "7b0c0e1e-3c55-4bb4-9d8e-4e4b7bd3b9f1", region: "eu-west" };

describe("hourly cursor", () => {
  it("round-trips, URL-safe, for any region text (a `|`, non-Latin letters)", () => {
    for (const region of ["eu-west", "a|b", "東京", "%7C", "x".repeat(64)]) {
      const encoded = encodeHourlyCursor({ ...cursor, region });
      expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeHourlyCursor(encoded)).toEqual({ ...cursor, region });
    }
  });

  it("refuses what it did not issue", () => {
    const raw = (text: string) => btoa(text).replace(/=+$/, "");
    for (const forged of [
      "",
      "not base64!",
      raw("2025-06-10T10:00:00.000Z|7b0c0e1e-3c55-4bb4-9d8e-4e4b7bd3b9f1"),
      raw("2025-06-10T10:30:00.000Z|7b0c0e1e-3c55-4bb4-9d8e-4e4b7bd3b9f1|eu"),
      raw("2025-06-10T10:00:00Z|7b0c0e1e-3c55-4bb4-9d8e-4e4b7bd3b9f1|eu"),
      raw("2025-06-10T10:00:00.000Z|not-a-uuid|eu"),
      raw("2025-06-10T10:00:00.000Z|7b0c0e1e-3c55-4bb4-9d8e-4e4b7bd3b9f1|"),
      raw("2025-06-10T10:00:00.000Z|7b0c0e1e-3c55-4bb4-9d8e-4e4b7bd3b9f1|%E0%A4%A"),
      raw("2025-06-10T10:00:00.000Z|7b0c0e1e-3c55-4bb4-9d8e-4e4b7bd3b9f1|eu|more"),
      // A region Postgres can't take as text (NUL, a lone surrogate) would fail the query rather than match nothing.
      raw("2025-06-10T10:00:00.000Z|7b0c0e1e-3c55-4bb4-9d8e-4e4b7bd3b9f1|eu%00"),
      raw("2025-06-10T10:00:00.000Z|7b0c0e1e-3c55-4bb4-9d8e-4e4b7bd3b9f1|%ED%A0%80"),
    ]) {
      expect(decodeHourlyCursor(forged)).toBeUndefined();
    }
  });
});
