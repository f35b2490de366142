import { createMiddleware } from "hono/factory";
import { openDatabase } from "../../db/database.ts";
import { readConfig } from "../../env.ts";
import type { AppEnv } from "../app-env.ts";

/** Gives the request a database handle and closes it after the response, off the critical path. */
export const withDatabase = createMiddleware<AppEnv>(async (c, next) => {
  const config = readConfig(c.env);
  const handle = openDatabase(config.DATABASE_URL, config.NEON_WS_PROXY);
  c.set("db", handle.db);
  try {
    await next();
  } finally {
    c.executionCtx.waitUntil(handle.close().catch(() => {}));
  }
});
