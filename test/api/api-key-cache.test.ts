import net from "node:net";
import { neonConfig } from "@neondatabase/serverless";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiKeys } from "../../schema/index.ts";
import { databaseUrl, host, loadOrCreateSecrets, ports } from "../../scripts/lib/local-config.ts";
import { ApiKeyCache, stalenessBoundMs } from "../../workers/auth/api-key-cache.ts";
import { hashApiKey } from "../../workers/auth/api-key.ts";
import { findActiveApiKey } from "../../workers/auth/api-key-repository.ts";
import { cacheKey, RedisApiKeyCache } from "../../workers/auth/redis-api-key-cache.ts";
import { httpDatabase } from "../../workers/db/database.ts";
import { revokeApiKey } from "../../workers/tenants/tenant-provisioning.ts";
import { api, createMeeting, expectProblem, newTenant, withDatabase } from "../support/stack.ts";

// The API-key cache against the running stack: the Worker in workerd, Redis behind the Upstash bridge, Postgres
// behind the Neon stand-ins. Timing bounds are the product's documented ones, not performance assertions.
const redisConfig = async (url = `http://${host}:${ports.upstashBridge}`) => ({
  UPSTASH_REDIS_REST_URL: url,
  UPSTASH_REDIS_REST_TOKEN: (await loadOrCreateSecrets()).upstashToken,
});
const status = async (key: string, path = "/v1/meetings?limit=1") => (await api(path, { key })).status;
const previousEndpoint = neonConfig.fetchEndpoint;
let silentRedis: net.Server;
const held: net.Socket[] = [];

beforeAll(async () => {
  // A Redis that accepts connections and never answers: the slow-outage case.
  silentRedis = net.createServer((socket) => held.push(socket.on("error", () => {})));
  await new Promise<void>((resolve) => silentRedis.listen(0, host, resolve));
});

afterAll(async () => {
  neonConfig.fetchEndpoint = previousEndpoint;
  for (const socket of held) socket.destroy();
  await new Promise((resolve) => silentRedis.close(resolve));
});

/** What one isolate's middleware does, with the production parts, in this process. */
async function isolateLookup(cache: ApiKeyCache, shared: RedisApiKeyCache, apiKey: string) {
  const db = httpDatabase(databaseUrl(await loadOrCreateSecrets()), `${host}:${ports.pgWsProxy}`);
  const pending: Promise<unknown>[] = [];
  const key = await cache.resolve(await hashApiKey(apiKey), {
    shared,
    load: (hash) => findActiveApiKey(db, hash),
    defer: (work) => pending.push(work),
  });
  await Promise.all(pending);
  return key;
}

describe("API keys through the cache", () => {
  it(
    "a key revoked in SQL without a purge is refused within the staleness bound and never accepted after it",
    async () => {
      const tenant = await newTenant("stale bound");
      expect(await status(tenant.apiKey)).toBe(200);
      const revokedAt = Date.now();
      await withDatabase((db) => db.update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.id, tenant.keyId)));
      let refusedAt: number | undefined;
      while (Date.now() - revokedAt < stalenessBoundMs + 3_000) {
        const answered = await status(tenant.apiKey);
        if (answered === 200) {
          expect(refusedAt, "accepted again after a refusal").toBeUndefined();
          expect(Date.now() - revokedAt).toBeLessThan(stalenessBoundMs + 500);
        } else {
          expect(answered).toBe(401);
          refusedAt ??= Date.now();
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(refusedAt).toBeDefined();
      expect(refusedAt! - revokedAt).toBeLessThanOrEqual(stalenessBoundMs + 1_000);
    },
    stalenessBoundMs + 20_000,
  );

  it("revokeApiKey purges Redis: an isolate that has not cached the key itself refuses it at once", async () => {
    const tenant = await newTenant("purge");
    const shared = new RedisApiKeyCache(await redisConfig());
    expect(await isolateLookup(new ApiKeyCache(), shared, tenant.apiKey)).toMatchObject({ tenantId: tenant.tenantId });
    expect(await shared.get(await hashApiKey(tenant.apiKey))).toMatchObject({ tenantId: tenant.tenantId });
    await withDatabase((db) => revokeApiKey(db, shared, tenant.tenantId, tenant.keyId));
    expect(await shared.get(await hashApiKey(tenant.apiKey))).toBeUndefined();
    expect(await isolateLookup(new ApiKeyCache(), shared, tenant.apiKey)).toBeUndefined();
  });

  it("cached keys of two tenants never cross: each reads its own meeting, the other's is a 404", async () => {
    const a = await newTenant("isolation a");
    const b = await newTenant("isolation b");
    const meetingA = (await createMeeting(a.apiKey, { title: "a" })).id;
    const meetingB = (await createMeeting(b.apiKey, { title: "b" })).id;
    for (let round = 0; round < 3; round++) {
      expect(await status(a.apiKey, `/v1/meetings/${meetingA}`)).toBe(200);
      expect(await status(b.apiKey, `/v1/meetings/${meetingB}`)).toBe(200);
      await expectProblem(await api(`/v1/meetings/${meetingA}`, { key: b.apiKey }), 404, "not_found");
      await expectProblem(await api(`/v1/meetings/${meetingB}`, { key: a.apiKey }), 404, "not_found");
    }
    // The shared entry is named by the hash alone and holds the tenant Postgres gave.
    const shared = new RedisApiKeyCache(await redisConfig());
    expect(cacheKey(await hashApiKey(a.apiKey))).toBe(`api-key:v1:${await hashApiKey(a.apiKey)}`);
    expect(await shared.get(await hashApiKey(a.apiKey))).toMatchObject({ tenantId: a.tenantId, keyId: a.keyId });
    expect(await shared.get(await hashApiKey(b.apiKey))).toMatchObject({ tenantId: b.tenantId, keyId: b.keyId });
  });

  it.each([
    ["refusing connections", "http://127.0.0.1:1"],
    ["accepting and never answering", () => `http://${host}:${(silentRedis.address() as net.AddressInfo).port}`],
  ])("a Redis %s degrades to Postgres: active keys pass, revoked keys are refused, promptly", async (_name, url) => {
    const down = new RedisApiKeyCache(await redisConfig(typeof url === "function" ? url() : url));
    const tenant = await newTenant("redis down");
    const started = Date.now();
    expect(await isolateLookup(new ApiKeyCache(), down, tenant.apiKey)).toMatchObject({ tenantId: tenant.tenantId });
    await withDatabase((db) =>
      db
        .update(apiKeys)
        .set({ revokedAt: new Date() })
        .where(and(eq(apiKeys.id, tenant.keyId))),
    );
    expect(await isolateLookup(new ApiKeyCache(), down, tenant.apiKey)).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
