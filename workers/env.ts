import { z } from "zod";

/** Bindings and variables the Worker receives (wrangler.toml [vars], secrets, Durable Object bindings). */
export interface Env {
  MEETING_ROOM: DurableObjectNamespace;
  /** One webhook dispatcher per endpoint (workers/webhooks/webhook-dispatcher.ts). */
  WEBHOOK_DISPATCHER: DurableObjectNamespace;
  DATABASE_URL: string;
  /** Local only: host:port of the WebSocket-to-TCP proxy standing in for Neon's. Unset in production. */
  NEON_WS_PROXY?: string;
  UPSTASH_REDIS_REST_URL: string;
  UPSTASH_REDIS_REST_TOKEN: string;
  LIVEKIT_URL: string;
  LIVEKIT_API_KEY: string;
  LIVEKIT_API_SECRET: string;
  /** JSON fleet of LiveKit nodes/projects by region (media-fleet/fleet-config.ts); unset: the LIVEKIT_* node alone. */
  MEDIA_FLEET_CONFIG?: string;
  /** Self-hosted clusters: Upstash-compatible REST endpoint of the cluster's Redis, for node CPU/client stats. */
  LIVEKIT_CLUSTER_STATS_URL?: string;
  LIVEKIT_CLUSTER_STATS_TOKEN?: string;
  S3_ENDPOINT?: string;
  S3_REGION: string;
  S3_BUCKET: string;
  S3_ACCESS_KEY_ID: string;
  S3_SECRET_ACCESS_KEY: string;
  TURN_URLS?: string;
  TURN_SECRET?: string;
  JOIN_TOKEN_SIGNING_KEYS: string;
  JOIN_TOKEN_TTL_SECONDS?: string;
  JOIN_TOKEN_ISSUER?: string;
  /** ws(s):// origin of the room sockets' Worker (wrangler.rooms.toml) for join tokens' `connectUrl`; unset: this Worker's. */
  ROOM_SOCKETS_ORIGIN?: string;
  MAX_BODY_BYTES?: string;
  SFU_SWITCH_THRESHOLD?: string;
  /** 32 random bytes, base64: seals webhook signing secrets at rest (workers/crypto/secret-box.ts). */
  WEBHOOK_SECRETS_KEY: string;
  /** 32 random bytes, base64: seals tenants' identity-provider client secrets at rest (workers/crypto/secret-box.ts). */
  IDENTITY_SECRETS_KEY?: string;
  /** Hosts whose OpenID providers may be reached over plain http (the local provider on loopback); none in production. */
  IDENTITY_ALLOW_HTTP_ISSUERS?: string;
  /** Comma-separated seconds between webhook attempts; unset: the Standard Webhooks schedule. */
  WEBHOOK_RETRY_SCHEDULE?: string;
  /** Comma-separated private hosts webhooks may target (the local stack's loopback); unset in production. */
  WEBHOOK_ALLOWED_PRIVATE_HOSTS?: string;
  /** Meetings a dispatcher sends to at once per endpoint. */
  WEBHOOK_LANE_CONCURRENCY?: string;
  /** The analytics ingestion Lambda's Invoke URL (…/2015-03-31/functions/<name>/invocations); unset: no analytics. */
  ANALYTICS_INGEST_URL?: string;
  /** The Lambda's region and an access key allowed only lambda:InvokeFunction on it (sst.config.ts). */
  ANALYTICS_INGEST_REGION?: string;
  ANALYTICS_INGEST_ACCESS_KEY_ID?: string;
  ANALYTICS_INGEST_SECRET_ACCESS_KEY?: string;
  /** Samples a room may hold while ingestion is down before it drops the oldest. */
  ANALYTICS_QUEUE_MAX_SAMPLES?: string;
  /** How long a room collects records before it sends them as a batch (ms). */
  ANALYTICS_BATCH_MAX_AGE_MS?: string;
  /** The track recorders' control API base URLs, comma-separated (media-fleet/recording/recorder-pool.ts). */
  RECORDER_URLS?: string;
  /** Signs the recorders' control tokens (HS256, `aud` recorder, at most 60 s). */
  RECORDER_CONTROL_SECRET?: string;
  /** Verifies the recording compositor's reports (HS256; the Lambda signs with the same secret). */
  RECORDING_REPORT_SECRET?: string;
  /** Invoke URL of the recording compositor (asynchronous invocations); recordings stay `processing` without it. */
  RECORDING_COMPOSE_URL?: string;
  /** Bucket the recorder and compositor write recordings to (default: S3_BUCKET). */
  RECORDING_BUCKET?: string;
}

const required = z.string().min(1);
/** A comma-separated list of host names, lower-cased (none when unset). */
const hostList = z
  .string()
  .optional()
  .transform((hosts) =>
    (hosts ?? "")
      .split(",")
      .map((host) => host.trim().toLowerCase())
      .filter(Boolean),
  );

/** Validated once per isolate: a misconfigured deployment fails loudly with the variable's name, not its value. */
export const configSchema = z.object({
  DATABASE_URL: required,
  NEON_WS_PROXY: z.string().min(1).optional(),
  UPSTASH_REDIS_REST_URL: z.url(),
  UPSTASH_REDIS_REST_TOKEN: required,
  LIVEKIT_URL: z.url(),
  LIVEKIT_API_KEY: required,
  LIVEKIT_API_SECRET: required,
  S3_ENDPOINT: z.url().optional(),
  S3_REGION: required,
  S3_BUCKET: required,
  S3_ACCESS_KEY_ID: required,
  S3_SECRET_ACCESS_KEY: required,
  JOIN_TOKEN_SIGNING_KEYS: required,
  JOIN_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(3600).default(300),
  JOIN_TOKEN_ISSUER: z.string().min(1).default("edge-meetings"),
  ROOM_SOCKETS_ORIGIN: z
    .url({ protocol: /^wss?$/ })
    .refine((url) => new URL(url).pathname === "/" && !new URL(url).search, "must be an origin, ws:// or wss://")
    .optional(),
  SFU_SWITCH_THRESHOLD: z.coerce.number().int().min(2).max(1000).default(5),
  WEBHOOK_SECRETS_KEY: z.base64().refine((key) => atob(key).length === 32, "must be 32 bytes, base64"),
  WEBHOOK_RETRY_SCHEDULE: z.string().optional(),
  IDENTITY_SECRETS_KEY: z
    .base64()
    .refine((key) => atob(key).length === 32, "must be 32 bytes, base64")
    .optional(),
  IDENTITY_ALLOW_HTTP_ISSUERS: hostList,
  WEBHOOK_ALLOWED_PRIVATE_HOSTS: hostList,
  WEBHOOK_LANE_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16),
  ANALYTICS_INGEST_URL: z.url().optional(),
  ANALYTICS_INGEST_REGION: z.string().min(1).default("us-east-1"),
  ANALYTICS_INGEST_ACCESS_KEY_ID: z.string().min(1).optional(),
  ANALYTICS_INGEST_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  ANALYTICS_QUEUE_MAX_SAMPLES: z.coerce.number().int().min(200).max(1_000_000).default(20_000),
  ANALYTICS_BATCH_MAX_AGE_MS: z.coerce.number().int().min(500).max(300_000).default(10_000),
  RECORDER_URLS: z.string().min(1).optional(),
  RECORDER_CONTROL_SECRET: z.string().min(32).optional(),
  RECORDING_REPORT_SECRET: z.string().min(32).optional(),
  RECORDING_COMPOSE_URL: z.url().optional(),
  RECORDING_BUCKET: z.string().min(1).optional(),
  MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(10 * 1024 * 1024)
    .default(64 * 1024),
});

export type Config = z.infer<typeof configSchema>;

const cache = new WeakMap<object, Config>();

export function readConfig(env: Env): Config {
  const cached = cache.get(env);
  if (cached) return cached;
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const names = parsed.error.issues.map((issue) => issue.path.join(".")).join(", ");
    throw new Error(`invalid Worker configuration: ${names}`);
  }
  cache.set(env, parsed.data);
  return parsed.data;
}
