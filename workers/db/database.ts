import { neon, Pool, neonConfig } from "@neondatabase/serverless";
import { drizzle as drizzleHttp } from "drizzle-orm/neon-http";
import { drizzle, type NeonDatabase } from "drizzle-orm/neon-serverless";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import * as schema from "../../schema/index.ts";

/** A pooled connection (WebSocket): interactive transactions, several statements on one session. */
export type Database = NeonDatabase<typeof schema>;
/** Anything that runs queries: the one-shot HTTP path or a pool. Repositories that need no transaction take this. */
export type QueryDatabase = PgDatabase<PgQueryResultHKT, typeof schema>;

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

const httpDatabases = new Map<string, QueryDatabase>();

/**
 * Neon's SQL-over-HTTP path: each query is one HTTPS request to Neon, which runs it on a warm pooled connection,
 * so a request pays no WebSocket, startup or SCRAM exchange. No interactive transactions (drizzle refuses
 * `transaction()` here); a write that needs one takes `openDatabase`. Holds no socket, so one per isolate is
 * safe to share between requests. `wsProxy` (local only) also serves the stand-in for Neon's /sql endpoint.
 */
export function httpDatabase(databaseUrl: string, wsProxy?: string): QueryDatabase {
  if (wsProxy) neonConfig.fetchEndpoint = `http://${wsProxy}/sql`;
  let db = httpDatabases.get(databaseUrl);
  if (!db) {
    db = drizzleHttp({ client: neon(databaseUrl), schema });
    httpDatabases.set(databaseUrl, db);
  }
  return db;
}
