import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { bearerCredential, displayPrefixLength, generateApiKey, hashApiKey, isWellFormedApiKey } from "./api-key.ts";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const wellFormed = `emk_${"A".repeat(43)}`;

describe("generateApiKey", () => {
  it("produces a key that passes its own shape check", async () => {
    const { key } = await generateApiKey();
    expect(key).toMatch(/^emk_[A-Za-z0-9_-]{43}$/);
    expect(isWellFormedApiKey(key)).toBe(true);
  });

  it("never repeats a key across many generations", async () => {
    const keys = await Promise.all(Array.from({ length: 200 }, () => generateApiKey()));
    expect(new Set(keys.map((k) => k.key)).size).toBe(200);
    expect(new Set(keys.map((k) => k.hash)).size).toBe(200);
  });

  it("uses the key's own head as the display prefix, short enough to reveal no secret", async () => {
    const { key, prefix } = await generateApiKey();
    expect(prefix).toHaveLength(displayPrefixLength);
    expect(key.startsWith(prefix)).toBe(true);
    expect(prefix.startsWith("emk_")).toBe(true);
    expect(prefix.length).toBeLessThan(key.length / 2);
  });

  it("stores the SHA-256 hex of the key, never the key itself", async () => {
    const { key, hash } = await generateApiKey();
    expect(hash).toBe(sha256(key));
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).not.toContain(key.slice(4));
  });
});

describe("hashApiKey", () => {
  it("matches node:crypto's SHA-256 hex for the same text", async () => {
    expect(await hashApiKey(wellFormed)).toBe(sha256(wellFormed));
    expect(await hashApiKey("")).toBe(sha256(""));
    expect(await hashApiKey("emk_ü€")).toBe(sha256("emk_ü€"));
  });
});

describe("isWellFormedApiKey", () => {
  it("accepts the prefix followed by 43 base64url characters", () => {
    expect(isWellFormedApiKey(wellFormed)).toBe(true);
    expect(isWellFormedApiKey(`emk_${"aZ09-_".repeat(7)}x`)).toBe(true);
  });

  it.each([
    ["a wrong prefix", `emx_${"A".repeat(43)}`],
    ["an upper-case prefix", `EMK_${"A".repeat(43)}`],
    ["no prefix", "A".repeat(47)],
    ["one character short", `emk_${"A".repeat(42)}`],
    ["one character long", `emk_${"A".repeat(44)}`],
    ["standard base64 characters", `emk_${"A".repeat(41)}+/`],
    ["padding", `emk_${"A".repeat(42)}=`],
    ["a space", `emk_${"A".repeat(42)} `],
    ["a trailing newline", `emk_${"A".repeat(43)}\n`],
    ["a non-ASCII letter", `emk_${"A".repeat(42)}é`],
    ["an empty string", ""],
  ])("refuses a key with %s", (_, candidate) => {
    expect(isWellFormedApiKey(candidate)).toBe(false);
  });
});

describe("bearerCredential", () => {
  it("extracts the credential from 'Bearer <credential>'", () => {
    expect(bearerCredential(`Bearer ${wellFormed}`)).toBe(wellFormed);
  });

  it.each(["bearer", "BEARER", "bEaReR"])("treats the scheme %s case-insensitively", (scheme) => {
    expect(bearerCredential(`${scheme} abc`)).toBe("abc");
  });

  it("tolerates several spaces after the scheme and trailing whitespace", () => {
    expect(bearerCredential("Bearer   abc  ")).toBe("abc");
  });

  it.each([
    ["no header", undefined],
    ["an empty header", ""],
    ["the Basic scheme", "Basic dXNlcjpwYXNz"],
    ["Bearer with no credential", "Bearer"],
    ["Bearer with only spaces", "Bearer    "],
    ["two credentials", "Bearer abc def"],
    ["a bare credential without a scheme", wellFormed],
    ["a scheme glued to the credential", `Bearer${wellFormed}`],
    ["leading text before the scheme", `x Bearer ${wellFormed}`],
  ])("refuses %s", (_, header) => {
    expect(bearerCredential(header)).toBeUndefined();
  });
});
