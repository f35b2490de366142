import { DrizzleQueryError } from "drizzle-orm/errors";
import { describe, expect, it } from "vitest";
import { isDatabaseUnavailable } from "./database-errors.ts";

const failedQuery = (cause: unknown) => new DrizzleQueryError("select 1", [], cause as Error);
const withSqlState = (code: string) => Object.assign(new Error("server said no"), { code });

describe("isDatabaseUnavailable", () => {
  it("a query that never reached the server (socket closed, refused, timed out) is unavailability", () => {
    expect(isDatabaseUnavailable(failedQuery(new Error("Connection terminated unexpectedly")))).toBe(true);
    expect(isDatabaseUnavailable(failedQuery(Object.assign(new Error("connect"), { code: "ECONNREFUSED" })))).toBe(true);
  });

  it("connection-class and shutdown SQLSTATEs are unavailability", () => {
    for (const state of ["08006", "08001", "57P01", "57P03", "53300"])
      expect(isDatabaseUnavailable(failedQuery(withSqlState(state)))).toBe(true);
  });

  it("a query the server rejected is a bug, not an outage", () => {
    for (const state of ["42P01", "23505", "22P02"]) expect(isDatabaseUnavailable(failedQuery(withSqlState(state)))).toBe(false);
  });

  it("errors from anywhere else are not database outages", () => {
    expect(isDatabaseUnavailable(new TypeError("x is undefined"))).toBe(false);
    expect(isDatabaseUnavailable("boom")).toBe(false);
  });
});
