import { and, eq, gt, isNull, or } from "drizzle-orm";
import { apiKeys, tenants } from "../../schema/index.ts";
import type { QueryDatabase } from "../db/database.ts";
import { ApiKeyId, TenantId } from "../../protocol/ids.ts";

export interface ActiveApiKey {
  keyId: ApiKeyId;
  tenantId: TenantId;
}

/** A key counts only while it is unrevoked, unexpired and its tenant is active. */
export async function findActiveApiKey(
  db: QueryDatabase,
  keyHash: string,
  now = new Date(),
): Promise<(ActiveApiKey & { expiresAt: Date | null }) | undefined> {
  const [row] = await db
    .select({ keyId: apiKeys.id, tenantId: apiKeys.tenantId, expiresAt: apiKeys.expiresAt })
    .from(apiKeys)
    .innerJoin(tenants, eq(tenants.id, apiKeys.tenantId))
    .where(
      and(
        eq(apiKeys.keyHash, keyHash),
        isNull(apiKeys.revokedAt),
        or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now)),
        eq(tenants.status, "active"),
      ),
    )
    .limit(1);
  return row ? { keyId: ApiKeyId.parse(row.keyId), tenantId: TenantId.parse(row.tenantId), expiresAt: row.expiresAt } : undefined;
}
