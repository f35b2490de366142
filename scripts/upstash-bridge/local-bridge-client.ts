import crypto from "node:crypto";
import { Redis } from "@upstash/redis";
import { host, loadOrCreateSecrets, ports } from "../lib/local-config.ts";

/** Test support: the bridge the vitest global setup started, reached the way the Worker reaches Upstash. */
export const bridgeUrl = `http://${host}:${ports.upstashBridge}`;

export async function bridgeToken(): Promise<string> {
  return (await loadOrCreateSecrets()).upstashToken;
}

/** Default client options on purpose (base64 encoding, auto-pipelining): that is what production code gets. */
export async function localRedis(): Promise<Redis> {
  return new Redis({ url: bridgeUrl, token: await bridgeToken(), enableTelemetry: false });
}

const issuedPrefixes: string[] = [];

/** Keys of each test live under their own prefix, so tests can run in parallel and rerun on a dirty database. */
export function uniquePrefix(label: string): string {
  const prefix = `test:${label}:${crypto.randomUUID()}:`;
  issuedPrefixes.push(prefix);
  return prefix;
}

/** Deletes the keys under every prefix this test file issued, so the persistent local Redis doesn't fill up. */
export async function deleteTestKeys(redis: Redis): Promise<void> {
  for (const prefix of issuedPrefixes.splice(0)) {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, { match: `${prefix}*`, count: 1000 });
      if (keys.length) await redis.del(...keys);
      cursor = String(next);
    } while (cursor !== "0");
  }
}
