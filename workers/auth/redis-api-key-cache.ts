import { Redis } from "@upstash/redis/cloudflare";
import { z } from "zod";
import { ApiKeyId, TenantId } from "../../protocol/ids.ts";
import type { Config } from "../env.ts";
import type { CachedApiKey, SharedApiKeyCache } from "./api-key-cache.ts";

// A slow Redis must cost a request little: past this the lookup is a miss and Postgres answers.
const redisTimeoutMs = 250;
const sha256Hex = /^[0-9a-f]{64}$/;
const Entry = z.object({ keyId: z.string(), tenantId: z.string(), validUntil: z.number() }).strict();

/** The shared API-key cache in Upstash Redis: `api-key:v1:<sha256 hex>` → the tenant it belongs to, and until when. */
export class RedisApiKeyCache implements SharedApiKeyCache {
  private readonly redis: Redis;

  constructor(config: Pick<Config, "UPSTASH_REDIS_REST_URL" | "UPSTASH_REDIS_REST_TOKEN">) {
    this.redis = new Redis({
      url: config.UPSTASH_REDIS_REST_URL,
      token: config.UPSTASH_REDIS_REST_TOKEN,
      retry: false,
      signal: () => AbortSignal.timeout(redisTimeoutMs),
    });
  }

  async get(keyHash: string): Promise<CachedApiKey | undefined> {
    const parsed = Entry.safeParse(await this.redis.get(cacheKey(keyHash)));
    if (!parsed.success) return undefined;
    const keyId = ApiKeyId.safeParse(parsed.data.keyId);
    const tenantId = TenantId.safeParse(parsed.data.tenantId);
    return keyId.success && tenantId.success
      ? { keyId: keyId.data, tenantId: tenantId.data, validUntil: parsed.data.validUntil }
      : undefined;
  }

  async set(keyHash: string, entry: CachedApiKey, ttlMs: number): Promise<void> {
    await this.redis.set(cacheKey(keyHash), entry, { px: Math.max(1, Math.ceil(ttlMs)) });
  }

  async delete(keyHashes: readonly string[]): Promise<void> {
    if (keyHashes.length > 0) await this.redis.del(...keyHashes.map(cacheKey));
  }
}

/** Only the hash names an entry; anything else would be a caller-controlled part of the key. */
export function cacheKey(keyHash: string): string {
  if (!sha256Hex.test(keyHash)) throw new Error("an API-key cache key is a SHA-256 hex digest");
  return `api-key:v1:${keyHash}`;
}
