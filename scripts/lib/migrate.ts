import path from "node:path";
import { drizzle } from "drizzle-orm/neon-serverless";
import { migrate } from "drizzle-orm/neon-serverless/migrator";
import { createNodePool } from "./neon-node.ts";
import { repoRoot } from "./paths.ts";

/** Applies the committed drizzle-kit migrations through the production driver; already-applied ones are skipped. */
export async function applyMigrations(databaseUrl: string): Promise<void> {
  const pool = createNodePool(databaseUrl);
  try {
    await migrate(drizzle(pool), { migrationsFolder: path.join(repoRoot, "schema/migrations") });
  } finally {
    await pool.end();
  }
}
