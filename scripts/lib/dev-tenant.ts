import fs from "node:fs";
import path from "node:path";
import { createTenantWithKey, type ProvisionedTenant } from "../../workers/tenants/tenant-provisioning.ts";
import { drizzle } from "drizzle-orm/neon-serverless";
import * as schema from "../../schema/index.ts";
import { createNodePool } from "./neon-node.ts";
import { dataDir } from "./paths.ts";
import { hashApiKey } from "../../workers/auth/api-key.ts";
import { findActiveApiKey } from "../../workers/auth/api-key-repository.ts";

const devTenantFile = path.join(dataDir, "dev-tenant.json");

/** Creates a tenant + API key through the same code the API's tests use. */
export async function provisionTenant(databaseUrl: string, name: string): Promise<ProvisionedTenant> {
  const pool = createNodePool(databaseUrl);
  try {
    return await createTenantWithKey(drizzle(pool, { schema }), name);
  } finally {
    await pool.end();
  }
}

async function keyStillActive(databaseUrl: string, apiKey: string): Promise<boolean> {
  const pool = createNodePool(databaseUrl);
  try {
    return (await findActiveApiKey(drizzle(pool, { schema }), await hashApiKey(apiKey))) !== undefined;
  } finally {
    await pool.end();
  }
}

/** The dev tenant is created once per checkout; its key is kept in .data (git-ignored) so `npm run dev` can reprint it. */
export async function ensureDevTenant(databaseUrl: string): Promise<ProvisionedTenant> {
  if (fs.existsSync(devTenantFile)) {
    const saved = JSON.parse(fs.readFileSync(devTenantFile, "utf8")) as ProvisionedTenant;
    // The database may be new (engine switched, .data/postgres removed): reprint only a key that still works.
    if (await keyStillActive(databaseUrl, saved.apiKey)) return saved;
  }
  const tenant = await provisionTenant(databaseUrl, "Dev tenant");
  fs.writeFileSync(devTenantFile, JSON.stringify(tenant, null, 2), { mode: 0o600 });
  return tenant;
}
