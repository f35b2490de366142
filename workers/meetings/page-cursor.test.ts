import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor } from "./page-cursor.ts";

const id = "3f2a1b0c-9d8e-4f7a-b6c5-d4e3f2a1b0c9";
const createdAt = new Date("2031-05-06T07:08:09.123Z");
const encodeRaw = (raw: string) => Buffer.from(raw, "latin1").toString("base64url");

describe("encodeCursor / decodeCursor", () => {
  it("round-trips the creation time and id of the last row", () => {
    expect(decodeCursor(encodeCursor({ createdAt, id }))).toEqual({ createdAt, id });
  });

  it("produces a URL-safe token with no padding", () => {
    for (let ms = 0; ms < 3; ms++) {
      const cursor = encodeCursor({ createdAt: new Date(createdAt.getTime() + ms), id });
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    }
  });

  it("keeps millisecond precision, so rows created in the same second stay ordered", () => {
    const a = decodeCursor(encodeCursor({ createdAt: new Date("2031-05-06T07:08:09.001Z"), id }));
    const b = decodeCursor(encodeCursor({ createdAt: new Date("2031-05-06T07:08:09.002Z"), id }));
    expect(b!.createdAt.getTime() - a!.createdAt.getTime()).toBe(1);
  });

  it("round-trips any valid date and any uuid", () => {
    fc.assert(
      fc.property(fc.date({ noInvalidDate: true }), fc.uuid(), (date, uuid) => {
        expect(decodeCursor(encodeCursor({ createdAt: date, id: uuid }))).toEqual({ createdAt: date, id: uuid });
      }),
    );
  });
});

describe("decodeCursor refuses cursors it did not issue", () => {
  it.each([
    ["an empty string", ""],
    ["characters outside base64", "!!!not*base64!!!"],
    ["a base64 length that cannot be decoded", "abcde"],
    ["base64 of plain text", encodeRaw("hello world")],
    ["a missing id", encodeRaw(createdAt.toISOString())],
    ["an empty id", encodeRaw(`${createdAt.toISOString()}|`)],
    ["a missing date", encodeRaw(`|${id}`)],
    ["an extra part", encodeRaw(`${createdAt.toISOString()}|${id}|extra`)],
    ["an extra empty part", encodeRaw(`${createdAt.toISOString()}|${id}|`)],
    ["an id that is not a uuid", encodeRaw(`${createdAt.toISOString()}|42`)],
    ["an id with SQL in it", encodeRaw(`${createdAt.toISOString()}|' or 1=1 --`)],
    ["a uuid with trailing text", encodeRaw(`${createdAt.toISOString()}|${id}x`)],
    ["a date without milliseconds", encodeRaw(`2031-05-06T07:08:09Z|${id}`)],
    ["a date with an offset", encodeRaw(`2031-05-06T09:08:09.123+02:00|${id}`)],
    ["a date only", encodeRaw(`2031-05-06|${id}`)],
    ["epoch milliseconds", encodeRaw(`${createdAt.getTime()}|${id}`)],
    ["an impossible date", encodeRaw(`2031-02-30T00:00:00.000Z|${id}`)],
    ["an unparseable date", encodeRaw(`yesterday|${id}`)],
  ])("refuses %s", (_, cursor) => {
    expect(decodeCursor(cursor)).toBeUndefined();
  });

  it("never throws on arbitrary input", () => {
    fc.assert(
      fc.property(fc.string(), (input) => {
        const decoded = decodeCursor(input);
        if (decoded) expect(encodeCursor(decoded)).toBeTypeOf("string");
      }),
    );
  });
});
