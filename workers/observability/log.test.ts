import { DrizzleQueryError } from "drizzle-orm/errors";
import { describe, expect, it } from "vitest";
import { describeError } from "./log.ts";

describe("describeError", () => {
  it("keeps the cause of a failed query but never its statement or parameters", () => {
    const error = new DrizzleQueryError("insert into chat_messages values ($1)", ["my secret chat text"], new Error("connection refused"));
    const described = describeError(error);
    expect(described).toContain("connection refused");
    expect(described).not.toContain("my secret chat text");
    expect(described).not.toContain("insert into");
  });

  it("drops a failed query's message even when its cause is not an Error (a socket event)", () => {
    const error = new DrizzleQueryError("insert into chat_messages values ($1)", ["my secret chat text"], {
      type: "error",
    } as unknown as Error);
    expect(describeError(error)).toBe("query failed: connection error");
  });

  it("names ordinary errors and stringifies anything else", () => {
    expect(describeError(new TypeError("bad"))).toBe("TypeError: bad");
    expect(describeError("plain")).toBe("plain");
  });
});
