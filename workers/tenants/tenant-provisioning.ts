import { and, eq } from "drizzle-orm";
import { apiKeys, tenants } from "../../schema/index.ts";
import { generateApiKey } from "../auth/api-key.ts";
import type { SharedApiKeyCache } from "../auth/api-key-cache.ts";
import type { Database, QueryDatabase } from "../db/database.ts";
import { ApiKeyId, TenantId } from "../../protocol/ids.ts";

export interface ProvisionedTenant {
  tenantId: TenantId;
  keyId: ApiKeyId;
  /** The plaintext key: shown once, never stored. */
  apiKey: string;
  keyPrefix: string;
}

/** Creates a tenant and its first API key in one transaction (used by the CLI, dev seeding and tests). */
export async function createTenantWithKey(db: Database, name: string, keyName = "default"): Promise<ProvisionedTenant> {
  const key = await generateApiKey();
  return db.transaction(async (tx) => {
    const [tenant] = await tx.insert(tenants).values({ name }).returning({ id: tenants.id });
    const [row] = await tx
      .insert(apiKeys)
      .values({ tenantId: tenant!.id, name: keyName, prefix: key.prefix, keyHash: key.hash })
      .returning({ id: apiKeys.id });
    return { tenantId: TenantId.parse(tenant!.id), keyId: ApiKeyId.parse(row!.id), apiKey: key.key, keyPrefix: key.prefix };
  });
}

/**
 * Revokes a key in Postgres, then purges it from the shared API-key cache, so every isolate refuses it within
 * `localTtlMs` (2 s) rather than `stalenessBoundMs` (30 s). A failed purge is reported, the revocation stands.
 */
export async function revokeApiKey(
  db: QueryDatabase,
  keyCache: SharedApiKeyCache,
  tenantId: TenantId,
  keyId: ApiKeyId,
  now = new Date(),
): Promise<boolean> {
  const revoked = await db
    .update(apiKeys)
    .set({ revokedAt: now })
    .where(and(eq(apiKeys.tenantId, tenantId), eq(apiKeys.id, keyId)))
    .returning({ keyHash: apiKeys.keyHash });
  await keyCache.delete(revoked.map((row) => row.keyHash));
  return revoked.length === 1;
}

/** Suspending a tenant purges all its keys from the shared cache, as a revocation does. */
export async function setTenantStatus(
  db: QueryDatabase,
  keyCache: SharedApiKeyCache,
  tenantId: TenantId,
  status: "active" | "suspended",
): Promise<void> {
  await db.update(tenants).set({ status, updatedAt: new Date() }).where(eq(tenants.id, tenantId));
  const keys = await db.select({ keyHash: apiKeys.keyHash }).from(apiKeys).where(eq(apiKeys.tenantId, tenantId));
  await keyCache.delete(keys.map((row) => row.keyHash));
}
