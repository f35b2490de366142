import { Pool, neonConfig } from "@neondatabase/serverless";
import { drizzle, type NeonDatabase } from "drizzle-orm/neon-serverless";
import * as schema from "../../schema/index.ts";

export type Database = NeonDatabase<typeof schema>;

export interface DatabaseHandle {
  db: Database;
  /** Closes the request's connections; pass to ctx.waitUntil so the response isn't held up. */
  close(): Promise<void>;
}

/**
 * One pool per request: Workers forbid sharing sockets between requests, and Neon's pooler makes
 * per-request connections cheap. `wsProxy` is set only locally, where our own WebSocket-to-TCP proxy
 * stands in for Neon's (plain ws, and no pipelined startup because SCRAM auth rejects it).
 */
export function openDatabase(databaseUrl: string, wsProxy?: string): DatabaseHandle {
  if (wsProxy) {
    neonConfig.wsProxy = `${wsProxy}/v2`;
    neonConfig.useSecureWebSocket = false;
    neonConfig.pipelineConnect = false;
    neonConfig.pipelineTLS = false;
    neonConfig.forceDisablePgSSL = true;
  }
  const pool = new Pool({ connectionString: databaseUrl, max: 4, connectionTimeoutMillis: 5000 });
  // An idle client's socket error must not become an uncaught exception in the isolate.
  pool.on("error", () => {});
  return { db: drizzle(pool, { schema }), close: () => pool.end() };
}
