import { describe, expect, it } from "vitest";
import { bearerTokenMatches } from "./bearer-auth.ts";

const token = "s3cret-token-value";

describe("bearerTokenMatches", () => {
  it("accepts exactly the token, in the Bearer scheme (case-insensitive, as HTTP schemes are)", () => {
    expect(bearerTokenMatches(`Bearer ${token}`, token)).toBe(true);
    expect(bearerTokenMatches(`bearer ${token}`, token)).toBe(true);
  });

  it.each([undefined, "", token, `Bearer`, `Bearer ${token}x`, `Bearer ${token.slice(1)}`, `Basic ${token}`, `Bearer a ${token}`])(
    "rejects %j",
    (header) => {
      expect(bearerTokenMatches(header, token)).toBe(false);
    },
  );
});
