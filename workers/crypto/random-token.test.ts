import { describe, expect, it } from "vitest";
import { randomToken } from "./random-token.ts";

describe("random tokens", () => {
  it("are URL-safe, carry the bytes asked for, and differ every time", () => {
    const tokens = Array.from({ length: 200 }, () => randomToken());
    for (const token of tokens) expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new Set(tokens).size).toBe(tokens.length);
    expect(randomToken(16)).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});
