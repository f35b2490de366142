import { z } from "zod";

/** What the bridge daemon needs to run; handed over in its environment so the token never shows up in `ps`. */
export interface BridgeSettings {
  host: string;
  port: number;
  redisHost: string;
  redisPort: number;
  token: string;
  maxBodyBytes: number;
}

export const defaultMaxBodyBytes = 1024 * 1024;

const names = {
  host: "UPSTASH_BRIDGE_HOST",
  port: "UPSTASH_BRIDGE_PORT",
  redisHost: "UPSTASH_BRIDGE_REDIS_HOST",
  redisPort: "UPSTASH_BRIDGE_REDIS_PORT",
  token: "UPSTASH_BRIDGE_TOKEN",
  maxBodyBytes: "UPSTASH_BRIDGE_MAX_BODY_BYTES",
} as const;

const portSchema = z.coerce.number().int().min(1).max(65535);
const envSchema = z.object({
  [names.host]: z.string().min(1),
  [names.port]: portSchema,
  [names.redisHost]: z.string().min(1),
  [names.redisPort]: portSchema,
  [names.token]: z.string().min(16),
  [names.maxBodyBytes]: z.coerce.number().int().positive().default(defaultMaxBodyBytes),
});

export function bridgeEnv(settings: BridgeSettings): Record<string, string> {
  return {
    [names.host]: settings.host,
    [names.port]: String(settings.port),
    [names.redisHost]: settings.redisHost,
    [names.redisPort]: String(settings.redisPort),
    [names.token]: settings.token,
    [names.maxBodyBytes]: String(settings.maxBodyBytes),
  };
}

/** Throws naming the bad variables only: their values (the token among them) must not reach the log. */
export function readBridgeEnv(env: NodeJS.ProcessEnv): BridgeSettings {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const bad = [...new Set(parsed.error.issues.map((issue) => String(issue.path[0])))];
    throw new Error(`upstash bridge: missing or invalid environment variables: ${bad.join(", ")}`);
  }
  const e = parsed.data;
  return {
    host: e[names.host],
    port: e[names.port],
    redisHost: e[names.redisHost],
    redisPort: e[names.redisPort],
    token: e[names.token],
    maxBodyBytes: e[names.maxBodyBytes],
  };
}
