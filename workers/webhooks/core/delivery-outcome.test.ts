import { describe, expect, it } from "vitest";
import { settleAttempt, type AttemptAnswer, type EndpointHealth } from "./delivery-outcome.ts";
import { standardRetrySchedule } from "./retry-schedule.ts";

const healthy: EndpointHealth = { failingSince: null, disableAfterSeconds: 3600 };
const answer = (statusCode: number | null, extra: Partial<AttemptAnswer> = {}): AttemptAnswer => ({
  statusCode,
  failure: null,
  retryAfter: null,
  ...extra,
});
const settle = (a: AttemptAnswer, attempts = 1, health = healthy, now = 1_000_000) =>
  settleAttempt(a, attempts, health, standardRetrySchedule, now, () => 0);

describe("settling an attempt", () => {
  it("any 2xx delivers and clears the endpoint's failure clock", () => {
    for (const code of [200, 201, 202, 204, 299]) {
      expect(settle(answer(code), 3, { failingSince: 5, disableAfterSeconds: 60 })).toEqual({
        delivery: { status: "delivered" },
        error: null,
        failingSince: null,
        disable: null,
      });
    }
  });

  it("3xx, 4xx, 5xx, timeouts and broken connections fail and are retried on the schedule", () => {
    expect(settle(answer(302))).toMatchObject({ delivery: { status: "failed", nextAttemptAt: 1_005_000 }, error: "redirect" });
    expect(settle(answer(400))).toMatchObject({ error: "http_400", delivery: { status: "failed" } });
    expect(settle(answer(503))).toMatchObject({ error: "http_503", failingSince: 1_000_000 });
    expect(settle(answer(null, { failure: "timeout" }))).toMatchObject({ error: "timeout" });
    expect(settle(answer(null, { failure: "connection_failed" }))).toMatchObject({ error: "connection_failed" });
  });

  it("the tenth failure is dead", () => {
    expect(settle(answer(500), 10).delivery).toEqual({ status: "dead" });
  });

  it("410 disables the endpoint at once", () => {
    expect(settle(answer(410)).disable).toBe("gone");
  });

  it("an endpoint failing for its whole disable period is disabled, not before", () => {
    const failing = { failingSince: 1_000_000 - 3_599_000, disableAfterSeconds: 3600 };
    expect(settle(answer(500), 2, failing).disable).toBeNull();
    expect(settle(answer(500), 2, { ...failing, failingSince: 1_000_000 - 3_600_000 }).disable).toBe("failing");
    // The failure clock keeps its first failure.
    expect(settle(answer(500), 2, failing).failingSince).toBe(failing.failingSince);
  });

  it("honours Retry-After on a failure", () => {
    expect(settle(answer(429, { retryAfter: "30" })).delivery).toEqual({ status: "failed", nextAttemptAt: 1_030_000 });
  });
});
