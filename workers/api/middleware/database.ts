import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { httpDatabase, openDatabase, type Database } from "../../db/database.ts";
import { readConfig } from "../../env.ts";
import type { AppEnv } from "../app-env.ts";

/**
 * Gives the request a database handle on Neon's one-shot HTTP path: nearly every API route runs single statements,
 * so no connection is opened, held or closed per request (`inTransactionDatabase` below is the exception).
 */
export const withDatabase = createMiddleware<AppEnv>(async (c, next) => {
  const config = readConfig(c.env);
  c.set("db", httpDatabase(config.DATABASE_URL, config.NEON_WS_PROXY));
  await next();
});

/**
 * The few writes that need an interactive transaction (ending a meeting with its webhook event) take a pooled
 * connection for the request; it is closed after the response.
 */
export async function inTransactionDatabase<T>(c: Context<AppEnv>, work: (db: Database) => Promise<T>): Promise<T> {
  const config = readConfig(c.env);
  const handle = openDatabase(config.DATABASE_URL, config.NEON_WS_PROXY);
  try {
    return await work(handle.db);
  } finally {
    c.executionCtx.waitUntil(handle.close().catch(() => {}));
  }
}
