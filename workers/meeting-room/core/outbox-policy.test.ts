import { describe, expect, it } from "vitest";
import {
  afterRecordFailure,
  classifyWriteFailure,
  dueRecords,
  outageDelayMs,
  outboxDueAt,
  outboxRetryPolicy,
  type RetryState,
} from "./outbox-policy.ts";

const policy = outboxRetryPolicy;

describe("which failures count against a record", () => {
  it("counts Postgres refusing what the record holds: data exceptions, integrity violations, a trigger raising", () => {
    for (const state of ["22021", "22P02", "23505", "23514", "23503", "P0001"]) expect(classifyWriteFailure(state, true)).toBe("record");
  });

  it("counts nothing against a record when the database as a whole failed: connection, resources, shutdown, schema, rollback", () => {
    for (const state of ["08006", "08001", "53300", "57P01", "57P03", "42P01", "42501", "40001", "40P01", "XX000"]) {
      expect(classifyWriteFailure(state, true)).toBe("database");
    }
  });

  it("without a SQLSTATE, blames the record only if the database answered a probe right after", () => {
    expect(classifyWriteFailure(undefined, true)).toBe("record");
    expect(classifyWriteFailure(undefined, false)).toBe("database");
  });
});

describe("retry and dead-letter policy", () => {
  it("backs off exponentially per record, then dead-letters it at the attempt limit", () => {
    let retry: RetryState | undefined;
    const delays: number[] = [];
    let now = 10_000;
    for (;;) {
      const decision = afterRecordFailure(retry, "sqlstate:23514", now, policy);
      if (decision.kind === "dead_letter") {
        expect(decision.attempts).toBe(policy.maxAttempts);
        break;
      }
      delays.push(decision.retry.nextAttemptAt - now);
      expect(decision.retry.lastError).toBe("sqlstate:23514");
      retry = decision.retry;
      now = decision.retry.nextAttemptAt;
    }
    expect(delays).toEqual([1_000, 2_000, 4_000]);
  });

  it("caps the backoff", () => {
    const long = { ...policy, maxAttempts: 20 };
    const decision = afterRecordFailure({ attempts: 15, nextAttemptAt: 0, lastError: "x" }, "x", 0, long);
    expect(decision).toMatchObject({ kind: "retry", retry: { attempts: 16, nextAttemptAt: long.maxDelayMs } });
  });

  it("waits longer after each consecutive outage, up to a cap", () => {
    expect([1, 2, 3, 4, 10].map((n) => outageDelayMs(n, policy))).toEqual([2_000, 4_000, 8_000, 15_000, 15_000]);
  });
});

describe("which records a flush writes", () => {
  const retries = new Map<string, RetryState>([["b", { attempts: 1, nextAttemptAt: 5_000, lastError: "x" }]]);
  const id = (s: string) => s;

  it("lets others past a record that is backing off when the outbox is unordered (chat)", () => {
    expect(dueRecords(["a", "b", "c"], id, retries, 1_000, false)).toEqual(["a", "c"]);
  });

  it("stops at a record that is backing off when the outbox is ordered (joins before leaves)", () => {
    expect(dueRecords(["a", "b", "c"], id, retries, 1_000, true)).toEqual(["a"]);
  });

  it("includes the record again once its backoff has passed", () => {
    expect(dueRecords(["a", "b", "c"], id, retries, 5_000, true)).toEqual(["a", "b", "c"]);
  });
});

describe("when an outbox needs the alarm", () => {
  const base = { retries: new Map<string, RetryState>(), ordered: false, inFlight: false, waitUntil: null, now: 1_000 };

  it("never, when it holds nothing", () => {
    expect(outboxDueAt({ ...base, pendingKeys: [] }, policy)).toBeNull();
  });

  it("as a fallback shortly after, for records not tried yet or a flush in flight", () => {
    expect(outboxDueAt({ ...base, pendingKeys: ["a"] }, policy)).toBe(1_000 + policy.fallbackMs);
    expect(outboxDueAt({ ...base, pendingKeys: ["a"], inFlight: true }, policy)).toBe(1_000 + policy.fallbackMs);
  });

  it("at the earliest backoff when every record is backing off", () => {
    const retries = new Map<string, RetryState>([
      ["a", { attempts: 2, nextAttemptAt: 9_000, lastError: "x" }],
      ["b", { attempts: 1, nextAttemptAt: 4_000, lastError: "x" }],
    ]);
    expect(outboxDueAt({ ...base, retries, pendingKeys: ["a", "b"] }, policy)).toBe(4_000);
    // Ordered: only the head matters, the others wait behind it.
    expect(outboxDueAt({ ...base, retries, ordered: true, pendingKeys: ["a", "b"] }, policy)).toBe(9_000);
  });

  it("not before the outage wait is over", () => {
    expect(outboxDueAt({ ...base, pendingKeys: ["a"], waitUntil: 20_000 }, policy)).toBe(20_000);
  });
});
