import { describe, expect, it } from "vitest";
import { isStorableJson, isStorableLine, isStorableText } from "./text.ts";

describe("storable text", () => {
  it("accepts any language, emoji and combining marks", () => {
    for (const value of ["Standup", "日本語の会議", "Ünïcödé 👩🏽‍💻", "שלום", "e\u0301"]) {
      expect(isStorableLine(value)).toBe(true);
      expect(isStorableText(value)).toBe(true);
    }
  });

  it("refuses NUL, which Postgres cannot store, in lines, text and JSON", () => {
    expect(isStorableLine("a\u0000b")).toBe(false);
    expect(isStorableText("a\u0000b")).toBe(false);
    expect(isStorableJson({ note: "a\u0000b" })).toBe(false);
    expect(isStorableJson({ ["k\u0000"]: 1 })).toBe(false);
    expect(isStorableJson({ nested: [{ deep: ["x\u0000"] }] })).toBe(false);
  });

  it("refuses unpaired surrogates, which UTF-8 cannot encode, and keeps paired ones", () => {
    expect(isStorableText("\uD83D")).toBe(false);
    expect(isStorableText("x\uDE00y")).toBe(false);
    expect(isStorableText("\uD83D\uDE00")).toBe(true);
    expect(isStorableJson(["\uDBFF"])).toBe(false);
  });

  it("lets multi-line text keep tabs and line breaks, but not other controls", () => {
    expect(isStorableText("line one\nline two\r\n\tindented")).toBe(true);
    expect(isStorableLine("line one\nline two")).toBe(false);
    expect(isStorableText("bell\u0007")).toBe(false);
    expect(isStorableText("escape\u001b[31m")).toBe(false);
    expect(isStorableText("c1\u0085")).toBe(false);
  });

  it("accepts JSON of numbers, booleans and null", () => {
    expect(isStorableJson({ a: 1, b: [true, null, 2.5], c: { d: "ok" } })).toBe(true);
  });
});
