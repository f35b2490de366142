import { HeadBucketCommand } from "@aws-sdk/client-s3";
import { s3ClientOf } from "../aws/s3-client.ts";
import { Redis } from "@upstash/redis/cloudflare";
import { sql } from "drizzle-orm";
import { RoomServiceClient } from "livekit-server-sdk";
import type { Config } from "../env.ts";
import type { QueryDatabase } from "../db/database.ts";
import type { Probe } from "./run-probes.ts";

/** The real checks behind /healthz: one cheap authenticated round trip to each dependency. */
export function dependencyProbes(config: Config, db: QueryDatabase): Record<string, Probe> {
  return {
    postgres: async () => {
      await db.execute(sql`select 1`);
    },
    redis: async () => {
      const redis = new Redis({ url: config.UPSTASH_REDIS_REST_URL, token: config.UPSTASH_REDIS_REST_TOKEN, retry: false });
      if ((await redis.ping()) !== "PONG") throw new Error("unexpected PING reply");
    },
    livekit: async () => {
      await new RoomServiceClient(config.LIVEKIT_URL, config.LIVEKIT_API_KEY, config.LIVEKIT_API_SECRET).listRooms();
    },
    s3: async () => {
      const s3 = s3ClientOf(config, { maxAttempts: 1 });
      await s3.send(new HeadBucketCommand({ Bucket: config.S3_BUCKET }));
    },
  };
}
