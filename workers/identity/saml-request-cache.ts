import type { CacheItem, CacheProvider } from "@node-saml/node-saml";
import type { Redis } from "@upstash/redis/cloudflare";

/**
 * node-saml's record of the sign-in requests it sent (their IDs), in Redis so the response may reach any isolate:
 * a response must answer one of them (InResponseTo), and answers it once (the ID is removed when it is used).
 */
export class SamlRequestCache implements CacheProvider {
  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds: number,
  ) {}

  async saveAsync(id: string, value: string): Promise<CacheItem | null> {
    await this.redis.set(keyOf(id), { value }, { ex: this.ttlSeconds });
    return { value, createdAt: Date.now() };
  }

  async getAsync(id: string): Promise<string | null> {
    const stored = await this.redis.get<{ value?: unknown }>(keyOf(id));
    return typeof stored?.value === "string" ? stored.value : null;
  }

  async removeAsync(id: string | null): Promise<string | null> {
    if (id === null) return null;
    return (await this.redis.del(keyOf(id))) > 0 ? id : null;
  }
}

const keyOf = (id: string) => `saml-request:v1:${id}`;
