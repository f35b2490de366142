import { Redis } from "@upstash/redis/cloudflare";
import type { Config } from "../env.ts";

/**
 * Remembers processed LiveKit webhook ids in Redis for longer than an event stays fresh (routeWebhook refuses
 * older ones), so a captured or redelivered event is processed once. A claim is released when processing
 * fails, so LiveKit's retry is not mistaken for a replay and the event is not lost.
 */
export class WebhookReplayGuard {
  private readonly redis: Redis;

  constructor(config: Pick<Config, "UPSTASH_REDIS_REST_URL" | "UPSTASH_REDIS_REST_TOKEN">) {
    this.redis = new Redis({ url: config.UPSTASH_REDIS_REST_URL, token: config.UPSTASH_REDIS_REST_TOKEN, retry: false });
  }

  /** True when this call claimed the id; false when it was seen before. */
  async claim(eventId: string): Promise<boolean> {
    return (await this.redis.set(key(eventId), "1", { nx: true, ex: claimSeconds })) === "OK";
  }

  async release(eventId: string): Promise<void> {
    await this.redis.del(key(eventId));
  }
}

const claimSeconds = 15 * 60;
const key = (eventId: string) => `livekit-webhook:${eventId}`;
