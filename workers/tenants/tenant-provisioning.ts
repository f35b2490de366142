import { and, eq } from "drizzle-orm";
import { apiKeys, tenants } from "../../schema/index.ts";
import { generateApiKey } from "../auth/api-key.ts";
import type { Database } from "../db/database.ts";
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

export async function revokeApiKey(db: Database, tenantId: TenantId, keyId: ApiKeyId, now = new Date()): Promise<boolean> {
  const revoked = await db
    .update(apiKeys)
    .set({ revokedAt: now })
    .where(and(eq(apiKeys.tenantId, tenantId), eq(apiKeys.id, keyId)))
    .returning({ id: apiKeys.id });
  return revoked.length === 1;
}

export async function setTenantStatus(db: Database, tenantId: TenantId, status: "active" | "suspended"): Promise<void> {
  await db.update(tenants).set({ status, updatedAt: new Date() }).where(eq(tenants.id, tenantId));
}
