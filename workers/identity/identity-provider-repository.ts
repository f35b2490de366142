import { eq } from "drizzle-orm";
import type { TenantId } from "../../protocol/ids.ts";
import { tenantIdentityProviders } from "../../schema/index.ts";
import { openSecret, sealSecret } from "../crypto/secret-box.ts";
import type { QueryDatabase } from "../db/database.ts";
import type { TenantRole } from "../../protocol/permissions.ts";
import type { SignInPolicy } from "./core/sign-in-rules.ts";

/** A tenant's OpenID provider as configured, client secret opened. */
export interface IdentityProvider extends SignInPolicy {
  tenantId: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  updatedAt: Date;
}

export interface IdentityProviderInput extends SignInPolicy {
  issuer: string;
  clientId: string;
  clientSecret: string;
}

/** The secret is sealed to its tenant: a sealed value copied to another tenant's row does not open. */
const sealedFor = (tenantId: string) => `identity-provider:${tenantId}`;

export async function findIdentityProvider(db: QueryDatabase, key: CryptoKey, tenantId: TenantId): Promise<IdentityProvider | undefined> {
  const [row] = await db.select().from(tenantIdentityProviders).where(eq(tenantIdentityProviders.tenantId, tenantId));
  if (!row) return undefined;
  return {
    tenantId: row.tenantId,
    issuer: row.issuer,
    clientId: row.clientId,
    clientSecret: await openSecret(key, sealedFor(row.tenantId), row.clientSecretSealed),
    allowedEmailDomains: row.allowedEmailDomains,
    roleClaim: row.roleClaim,
    roleMapping: row.roleMapping as Record<string, TenantRole>,
    defaultRole: row.defaultRole,
    updatedAt: row.updatedAt,
  };
}

export async function saveIdentityProvider(
  db: QueryDatabase,
  key: CryptoKey,
  tenantId: TenantId,
  input: IdentityProviderInput,
): Promise<void> {
  const values = {
    issuer: input.issuer,
    clientId: input.clientId,
    clientSecretSealed: await sealSecret(key, sealedFor(tenantId), input.clientSecret),
    allowedEmailDomains: [...input.allowedEmailDomains],
    roleClaim: input.roleClaim,
    roleMapping: { ...input.roleMapping },
    defaultRole: input.defaultRole,
    updatedAt: new Date(),
  };
  await db
    .insert(tenantIdentityProviders)
    .values({ tenantId, ...values })
    .onConflictDoUpdate({ target: tenantIdentityProviders.tenantId, set: values });
}

export async function deleteIdentityProvider(db: QueryDatabase, tenantId: TenantId): Promise<boolean> {
  const deleted = await db
    .delete(tenantIdentityProviders)
    .where(eq(tenantIdentityProviders.tenantId, tenantId))
    .returning({ tenantId: tenantIdentityProviders.tenantId });
  return deleted.length > 0;
}
