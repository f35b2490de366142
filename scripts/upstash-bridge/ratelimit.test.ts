import { Ratelimit } from "@upstash/ratelimit";
import type { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deleteTestKeys, localRedis, uniquePrefix } from "./local-bridge-client.ts";

/**
 * @upstash/ratelimit runs Lua scripts flagged `allow-key-locking` through EVALSHA, falling back to EVAL on NOSCRIPT.
 * The client is wrapped (not replaced) to count how each call went, proving the EVALSHA path really serves them.
 */
interface ScriptCalls {
  evalshaServed: number;
  evalshaNoscript: number;
  eval: number;
}

function observed(redis: Redis): { redis: Redis; calls: ScriptCalls } {
  const calls: ScriptCalls = { evalshaServed: 0, evalshaNoscript: 0, eval: 0 };
  const proxy = new Proxy(redis, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (property === "eval") {
        return (...args: Parameters<Redis["eval"]>) => {
          calls.eval++;
          return target.eval(...args);
        };
      }
      if (property === "evalsha") {
        return async (...args: Parameters<Redis["evalsha"]>) => {
          try {
            const result = await target.evalsha(...args);
            calls.evalshaServed++;
            return result;
          } catch (error) {
            if (`${error}`.includes("NOSCRIPT")) calls.evalshaNoscript++;
            throw error;
          }
        };
      }
      return value;
    },
  });
  return { redis: proxy, calls };
}

let base: Redis;
beforeAll(async () => {
  base = await localRedis();
});
afterAll(() => deleteTestKeys(base));

// Windows of an hour: a test run never straddles a window boundary, which would reset a fixed window mid-test.
const limiters = {
  slidingWindow: () => Ratelimit.slidingWindow(3, "1 h"),
  fixedWindow: () => Ratelimit.fixedWindow(3, "1 h"),
  tokenBucket: () => Ratelimit.tokenBucket(1, "1 h", 3),
};

describe.each(Object.entries(limiters))("ratelimit %s", (name, limiter) => {
  const ratelimit = (redis: Redis) =>
    new Ratelimit({
      redis,
      limiter: limiter(),
      prefix: uniquePrefix(`ratelimit-${name}`),
      analytics: false,
      // Each call must reach Redis: no in-process cache of blocked identifiers, no fail-open timeout.
      ephemeralCache: false,
      timeout: 0,
    });

  it("lets 3 requests through, then blocks the 4th and 5th", async () => {
    const { redis, calls } = observed(base);
    const limit = ratelimit(redis);
    const responses = [];
    for (let i = 0; i < 5; i++) responses.push(await limit.limit("user-1"));
    expect(responses.map((r) => r.success)).toEqual([true, true, true, false, false]);
    expect(responses.map((r) => r.remaining)).toEqual([2, 1, 0, 0, 0]);
    expect(responses.every((r) => r.limit === 3 && r.reason === undefined)).toBe(true);
    expect(responses[0]!.reset).toBeGreaterThan(Date.now());
    // At most the very first call may miss (a bridge that hasn't seen the script yet); every later one is served.
    expect(calls.evalshaNoscript).toBeLessThanOrEqual(1);
    expect(calls.eval).toBe(calls.evalshaNoscript);
    expect(calls.evalshaServed).toBeGreaterThanOrEqual(4);
  });

  it("keeps identifiers apart, reports remaining tokens, and resets", async () => {
    const limit = ratelimit(base);
    for (let i = 0; i < 3; i++) await limit.limit("user-a");
    expect((await limit.limit("user-a")).success).toBe(false);
    expect((await limit.limit("user-b")).success).toBe(true);
    expect((await limit.getRemaining("user-a")).remaining).toBe(0);
    expect((await limit.getRemaining("user-b")).remaining).toBe(2);
    await limit.resetUsedTokens("user-a");
    expect((await limit.limit("user-a")).success).toBe(true);
  });
});
