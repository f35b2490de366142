import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { utf8Length } from "./utf8-length.ts";

describe("utf8Length", () => {
  it("matches TextEncoder for any string, surrogates included", () => {
    fc.assert(fc.property(fc.string({ unit: "grapheme" }), (text) => utf8Length(text) === new TextEncoder().encode(text).byteLength));
    fc.assert(fc.property(fc.string({ unit: "binary" }), (text) => utf8Length(text) === new TextEncoder().encode(text).byteLength));
  });

  it("counts a lone surrogate as the replacement character", () => {
    expect(utf8Length("\uD83D")).toBe(3);
    expect(utf8Length("a\uDE00b")).toBe(5);
    expect(utf8Length("😀")).toBe(4);
  });
});
