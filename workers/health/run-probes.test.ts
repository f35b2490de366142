import { describe, expect, it } from "vitest";
import { runProbes, type Probe } from "./run-probes.ts";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const never: Probe = () => new Promise<void>(() => {});

/** A clock that advances only when a probe says so: latencies become exact, not timing-dependent. */
function manualClock() {
  let now = 1_000;
  return {
    clock: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe("runProbes", () => {
  it("reports a probe that resolves as up and one that rejects as down", async () => {
    const results = await runProbes(
      { postgres: async () => {}, redis: async () => Promise.reject(new Error("ECONNREFUSED")) },
      { timeoutMs: 1_000 },
    );
    expect(results.postgres).toMatchObject({ status: "up" });
    expect(results.postgres).not.toHaveProperty("error");
    expect(results.redis).toMatchObject({ status: "down", error: "Error: probe failed" });
  });

  it("returns one result per probe, under the probe's name", async () => {
    const results = await runProbes({ a: async () => {}, b: async () => {}, c: never }, { timeoutMs: 20 });
    expect(Object.keys(results).sort()).toEqual(["a", "b", "c"]);
  });

  it("returns no results for no probes", async () => {
    expect(await runProbes({}, { timeoutMs: 10 })).toEqual({});
  });

  it("measures latency with the injected clock", async () => {
    const { clock, advance } = manualClock();
    const results = await runProbes(
      {
        fast: async () => advance(12.34),
      },
      { timeoutMs: 1_000, clock },
    );
    expect(results.fast).toEqual({ status: "up", latencyMs: 12.3 });
  });

  it("reports a hanging probe as down with a timeout, within the bound", async () => {
    const started = performance.now();
    const results = await runProbes({ livekit: never }, { timeoutMs: 50 });
    const elapsed = performance.now() - started;
    expect(results.livekit).toMatchObject({ status: "down", error: "timed out after 50 ms" });
    expect(results.livekit!.latencyMs).toBeGreaterThanOrEqual(45);
    expect(elapsed).toBeLessThan(1_000);
  });

  it("swallows a timed-out probe's late failure instead of raising an unhandled rejection", async () => {
    const late: Probe = () => sleep(40).then(() => Promise.reject(new Error("late")));
    const results = await runProbes({ late }, { timeoutMs: 10 });
    expect(results.late).toMatchObject({ status: "down", error: "timed out after 10 ms" });
    // Vitest fails the run on an unhandled rejection; give the late one time to surface.
    await sleep(60);
  });

  it("does not let one hanging probe mark the healthy ones down", async () => {
    const results = await runProbes({ hang: never, ok: async () => {} }, { timeoutMs: 30 });
    expect(results.hang!.status).toBe("down");
    expect(results.ok!.status).toBe("up");
  });

  it("never exposes the thrown error's message, which may hold a connection string", async () => {
    const results = await runProbes(
      { postgres: async () => Promise.reject(new Error("connect failed: postgres://user:secret@db.internal:5432/app")) },
      { timeoutMs: 1_000 },
    );
    expect(results.postgres!.status).toBe("down");
    expect(JSON.stringify(results)).not.toContain("secret");
    expect(JSON.stringify(results)).not.toContain("db.internal");
  });

  it("keeps the error class name, which helps diagnosis without leaking details", async () => {
    const results = await runProbes({ s3: async () => Promise.reject(new TypeError("bad token abc123")) }, { timeoutMs: 1_000 });
    expect(results.s3!.error).toBe("TypeError: probe failed");
  });

  it("reports a non-Error rejection and a synchronous throw as down", async () => {
    const results = await runProbes(
      {
        rejectsString: () => Promise.reject("postgres://user:secret@host"),
        throwsSync: () => {
          throw new Error("postgres://user:secret@host");
        },
      },
      { timeoutMs: 1_000 },
    );
    expect(results.rejectsString).toMatchObject({ status: "down", error: "Error: probe failed" });
    expect(results.throwsSync).toMatchObject({ status: "down", error: "Error: probe failed" });
    expect(JSON.stringify(results)).not.toContain("secret");
  });

  it("runs probes concurrently: the total time is about the slowest probe, not the sum", async () => {
    const probes = Object.fromEntries(["a", "b", "c", "d", "e"].map((name) => [name, () => sleep(100)]));
    const started = performance.now();
    const results = await runProbes(probes, { timeoutMs: 1_000 });
    const elapsed = performance.now() - started;
    expect(Object.values(results).every((r) => r.status === "up")).toBe(true);
    // Sequential would take >= 500 ms.
    expect(elapsed).toBeLessThan(400);
  });

  it("starts every probe before any of them finishes", async () => {
    const started: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const probe =
      (name: string): Probe =>
      async () => {
        started.push(name);
        await gate;
      };
    const running = runProbes({ a: probe("a"), b: probe("b"), c: probe("c") }, { timeoutMs: 1_000 });
    await Promise.resolve();
    expect(started).toEqual(["a", "b", "c"]);
    release();
    expect(Object.values(await running).map((r) => r.status)).toEqual(["up", "up", "up"]);
  });
});
