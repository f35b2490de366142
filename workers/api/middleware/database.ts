import { createMiddleware } from "hono/factory";
import { httpDatabase } from "../../db/database.ts";
import { readConfig } from "../../env.ts";
import type { AppEnv } from "../app-env.ts";

/**
 * Gives the request a database handle on Neon's one-shot HTTP path: API routes run single statements (a write and
 * the webhook events it makes are one statement: `webhookEventsStatement`), so no connection is opened, held or
 * closed per request. A usage period close is the one route that opens a pooled transaction.
 */
export const withDatabase = createMiddleware<AppEnv>(async (c, next) => {
  const config = readConfig(c.env);
  c.set("db", httpDatabase(config.DATABASE_URL, config.NEON_WS_PROXY));
  await next();
});
