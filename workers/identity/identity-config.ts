import { Redis } from "@upstash/redis/cloudflare";
import { secretsKey } from "../crypto/secret-box.ts";
import type { Config } from "../env.ts";

let shared: { url: string; redis: Redis } | undefined;
/** Sessions and sign-ins have no fallback store: a Redis that hangs fails the request after this, not 30 s later. */
const redisTimeoutMs = 2_000;

/** The isolate's Redis client for sign-in flows and sessions (holds no socket: REST). */
export function identityRedis(config: Pick<Config, "UPSTASH_REDIS_REST_URL" | "UPSTASH_REDIS_REST_TOKEN">): Redis {
  if (shared?.url !== config.UPSTASH_REDIS_REST_URL) {
    shared = {
      url: config.UPSTASH_REDIS_REST_URL,
      redis: new Redis({
        url: config.UPSTASH_REDIS_REST_URL,
        token: config.UPSTASH_REDIS_REST_TOKEN,
        retry: false,
        signal: () => AbortSignal.timeout(redisTimeoutMs),
      }),
    };
  }
  return shared.redis;
}

/** The key that seals identity-provider client secrets; none: the deployment has no sign-in (the routes say so). */
export function identitySecretsKey(config: Pick<Config, "IDENTITY_SECRETS_KEY">): Promise<CryptoKey> | undefined {
  return config.IDENTITY_SECRETS_KEY ? secretsKey(config.IDENTITY_SECRETS_KEY) : undefined;
}
