import { describe, expect, it } from "vitest";
import { ApiKeyId, TenantId } from "../../protocol/ids.ts";
import { ApiKeyCache, type ApiKeyCacheDependencies, type CachedApiKey, localTtlMs, stalenessBoundMs } from "./api-key-cache.ts";

const hash = (n: number) => n.toString(16).padStart(64, "0");
const tenantA = TenantId.parse("00000000-0000-4000-8000-00000000000a");
const tenantB = TenantId.parse("00000000-0000-4000-8000-00000000000b");
const keyId = (n: number) => ApiKeyId.parse(`00000000-0000-4000-8000-${n.toString().padStart(12, "0")}`);

/** Postgres as a table of active keys, Redis as a map with TTLs, a clock the test moves. */
function world() {
  let clock = 1_000_000;
  const active = new Map<string, { keyId: ApiKeyId; tenantId: TenantId; expiresAt: Date | null }>();
  const redis = new Map<string, { entry: CachedApiKey; until: number }>();
  let redisDown = false;
  let loads = 0;
  const deps: ApiKeyCacheDependencies = {
    now: () => clock,
    load: async (h) => {
      loads++;
      return active.get(h);
    },
    defer: () => {},
    shared: {
      get: async (h) => {
        if (redisDown) throw new Error("redis down");
        const hit = redis.get(h);
        return hit && clock < hit.until ? hit.entry : undefined;
      },
      set: async (h, entry, ttl) => {
        if (redisDown) throw new Error("redis down");
        redis.set(h, { entry, until: clock + ttl });
      },
      delete: async (hs) => {
        for (const h of hs) redis.delete(h);
      },
    },
  };
  return {
    deps,
    active,
    redis,
    loads: () => loads,
    advance: (ms: number) => {
      clock += ms;
    },
    setRedisDown: (down: boolean) => {
      redisDown = down;
    },
  };
}

describe("API key cache", () => {
  it("answers repeat lookups from memory, then from Redis, without Postgres", async () => {
    const w = world();
    w.active.set(hash(1), { keyId: keyId(1), tenantId: tenantA, expiresAt: null });
    const isolate = new ApiKeyCache();
    expect(await isolate.resolve(hash(1), w.deps)).toEqual({ keyId: keyId(1), tenantId: tenantA });
    expect(await isolate.resolve(hash(1), w.deps)).toEqual({ keyId: keyId(1), tenantId: tenantA });
    // Another isolate finds it in Redis.
    expect(await new ApiKeyCache().resolve(hash(1), w.deps)).toEqual({ keyId: keyId(1), tenantId: tenantA });
    expect(w.loads()).toBe(1);
  });

  it("never serves a key past the staleness bound after Postgres last confirmed it, however many layers it passed", async () => {
    const w = world();
    w.active.set(hash(1), { keyId: keyId(1), tenantId: tenantA, expiresAt: null });
    const first = new ApiKeyCache();
    await first.resolve(hash(1), w.deps);
    w.active.delete(hash(1)); // revoked in SQL, nothing purged
    const isolates = [first, new ApiKeyCache(), new ApiKeyCache()];
    for (let t = 0; t < stalenessBoundMs; t += 500) {
      for (const isolate of isolates) await isolate.resolve(hash(1), w.deps);
      w.advance(500);
    }
    for (const isolate of isolates) expect(await isolate.resolve(hash(1), w.deps)).toBeUndefined();
  });

  it("after a purge, an isolate that cached the key refuses it within localTtlMs, a fresh one at once", async () => {
    const w = world();
    w.active.set(hash(1), { keyId: keyId(1), tenantId: tenantA, expiresAt: null });
    const warm = new ApiKeyCache();
    await warm.resolve(hash(1), w.deps);
    w.active.delete(hash(1));
    await w.deps.shared.delete([hash(1)]);
    expect(await new ApiKeyCache().resolve(hash(1), w.deps)).toBeUndefined();
    w.advance(localTtlMs);
    expect(await warm.resolve(hash(1), w.deps)).toBeUndefined();
  });

  it("never serves a key past its own expiry", async () => {
    const w = world();
    w.active.set(hash(1), { keyId: keyId(1), tenantId: tenantA, expiresAt: new Date(1_000_000 + 700) });
    const isolate = new ApiKeyCache();
    expect(await isolate.resolve(hash(1), w.deps)).toBeDefined();
    w.active.delete(hash(1)); // Postgres stops returning it once expired
    w.advance(700);
    expect(await isolate.resolve(hash(1), w.deps)).toBeUndefined();
    expect(await new ApiKeyCache().resolve(hash(1), w.deps)).toBeUndefined();
  });

  it("keeps tenants apart: each hash maps to its own tenant in every layer", async () => {
    const w = world();
    w.active.set(hash(1), { keyId: keyId(1), tenantId: tenantA, expiresAt: null });
    w.active.set(hash(2), { keyId: keyId(2), tenantId: tenantB, expiresAt: null });
    const isolate = new ApiKeyCache();
    for (let i = 0; i < 3; i++) {
      expect((await isolate.resolve(hash(1), w.deps))?.tenantId).toBe(tenantA);
      expect((await isolate.resolve(hash(2), w.deps))?.tenantId).toBe(tenantB);
      expect((await new ApiKeyCache().resolve(hash(2), w.deps))?.tenantId).toBe(tenantB);
    }
  });

  it("a Redis outage degrades to Postgres: active keys work, revoked keys are refused", async () => {
    const w = world();
    w.active.set(hash(1), { keyId: keyId(1), tenantId: tenantA, expiresAt: null });
    w.setRedisDown(true);
    expect(await new ApiKeyCache().resolve(hash(1), w.deps)).toEqual({ keyId: keyId(1), tenantId: tenantA });
    w.active.delete(hash(1));
    expect(await new ApiKeyCache().resolve(hash(1), w.deps)).toBeUndefined();
  });

  it("guessed keys neither grow memory nor reach Redis, and cannot evict a real key", async () => {
    const w = world();
    w.active.set(hash(1), { keyId: keyId(1), tenantId: tenantA, expiresAt: null });
    const isolate = new ApiKeyCache();
    await isolate.resolve(hash(1), w.deps);
    const loadsBefore = w.loads();
    for (let n = 1000; n < 11_000; n++) expect(await isolate.resolve(hash(n), w.deps)).toBeUndefined();
    expect(w.redis.size).toBe(1);
    expect(await isolate.resolve(hash(1), w.deps)).toBeDefined();
    expect(w.loads()).toBe(loadsBefore + 10_000);
  });
});
