import { createMiddleware } from "hono/factory";
import { ApiKeyCache } from "../../auth/api-key-cache.ts";
import { bearerCredential, hashApiKey, isWellFormedApiKey } from "../../auth/api-key.ts";
import { findActiveApiKey } from "../../auth/api-key-repository.ts";
import { ApiKeyError } from "../../auth/errors.ts";
import { RedisApiKeyCache } from "../../auth/redis-api-key-cache.ts";
import { readConfig } from "../../env.ts";
import type { AppEnv } from "../app-env.ts";

// One per isolate: the in-memory layer is the point. Both hold no socket, so sharing them across requests is safe.
const keyCache = new ApiKeyCache();
let shared: { url: string; cache: RedisApiKeyCache } | undefined;

/** Resolves the tenant from a Bearer API key; every tenant-scoped route sits behind this. */
export const requireApiKey = createMiddleware<AppEnv>(async (c, next) => {
  const credential = bearerCredential(c.req.header("authorization"));
  if (!credential) throw new ApiKeyError("unauthorized", "Send the API key as 'Authorization: Bearer <key>'");
  // Malformed keys are refused before touching any cache or the database.
  if (!isWellFormedApiKey(credential)) throw new ApiKeyError("invalid_api_key", "The API key is malformed");
  const config = readConfig(c.env);
  if (shared?.url !== config.UPSTASH_REDIS_REST_URL) {
    shared = { url: config.UPSTASH_REDIS_REST_URL, cache: new RedisApiKeyCache(config) };
  }
  const db = c.get("db");
  const key = await keyCache.resolve(await hashApiKey(credential), {
    shared: shared.cache,
    load: (keyHash) => findActiveApiKey(db, keyHash),
    defer: (work) => c.executionCtx.waitUntil(work),
  });
  if (!key) throw new ApiKeyError("invalid_api_key", "The API key is unknown, revoked or expired");
  c.set("tenantId", key.tenantId);
  c.set("actor", { kind: "server" });
  await next();
});
