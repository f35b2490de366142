import type { Redis } from "@upstash/redis/cloudflare";

/**
 * People deactivated within the last join-token lifetime: their outstanding join tokens (which carry who minted
 * them) must fail at connect. Kept in Redis for the longest a token can live, so the connect path asks Redis, never
 * Postgres, and only for tokens a person minted.
 */
const maxJoinTokenSeconds = 3600;
/** The join-token check's clock tolerance, and a margin. */
const marginSeconds = 60;
const key = (userId: string) => `deactivated-user:v1:${userId}`;

export async function rememberDeactivation(redis: Redis, userId: string): Promise<void> {
  await redis.set(key(userId), Date.now(), { ex: maxJoinTokenSeconds + marginSeconds });
}

export async function wasDeactivated(redis: Redis, userId: string): Promise<boolean> {
  return (await redis.exists(key(userId))) === 1;
}
