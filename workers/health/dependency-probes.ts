import { HeadBucketCommand, S3Client } from "@aws-sdk/client-s3";
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
      const s3 = new S3Client({
        region: config.S3_REGION,
        ...(config.S3_ENDPOINT ? { endpoint: config.S3_ENDPOINT, forcePathStyle: true } : {}),
        credentials: { accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY },
        maxAttempts: 1,
      });
      await s3.send(new HeadBucketCommand({ Bucket: config.S3_BUCKET }));
    },
  };
}
