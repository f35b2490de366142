import { eq } from "drizzle-orm";
import type { TenantId } from "../../protocol/ids.ts";
import { tenantIdentityProviders } from "../../schema/index.ts";
import { openSecret, sealSecret } from "../crypto/secret-box.ts";
import type { QueryDatabase } from "../db/database.ts";
import type { TenantRole } from "../../protocol/permissions.ts";
import type { SignInPolicy } from "./core/sign-in-rules.ts";

/** A tenant's OpenID provider as configured, client secret opened. */
export interface OidcProvider extends SignInPolicy {
  protocol: "oidc";
  tenantId: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  updatedAt: Date;
}

/** A tenant's SAML identity provider as configured. */
export interface SamlProvider extends SignInPolicy {
  protocol: "saml";
  tenantId: string;
  /** The identity provider's entity ID: its assertions' Issuer. */
  issuer: string;
  ssoUrl: string;
  /** PEM certificates its signatures may use (more than one while it rolls its key). */
  certificates: string[];
  updatedAt: Date;
}

export type IdentityProvider = OidcProvider | SamlProvider;

export type IdentityProviderInput =
  | (SignInPolicy & { protocol: "oidc"; issuer: string; clientId: string; clientSecret: string })
  | (SignInPolicy & { protocol: "saml"; issuer: string; ssoUrl: string; certificates: string[] });

/** The secret is sealed to its tenant: a sealed value copied to another tenant's row does not open. */
const sealedFor = (tenantId: string) => `identity-provider:${tenantId}`;

export async function findIdentityProvider(db: QueryDatabase, key: CryptoKey, tenantId: TenantId): Promise<IdentityProvider | undefined> {
  const [row] = await db.select().from(tenantIdentityProviders).where(eq(tenantIdentityProviders.tenantId, tenantId));
  if (!row) return undefined;
  const common = {
    tenantId: row.tenantId,
    issuer: row.issuer,
    allowedEmailDomains: row.allowedEmailDomains,
    roleClaim: row.roleClaim,
    roleMapping: row.roleMapping as Record<string, TenantRole>,
    defaultRole: row.defaultRole,
    updatedAt: row.updatedAt,
  };
  if (row.protocol === "saml") {
    return { ...common, protocol: "saml", ssoUrl: row.samlSsoUrl!, certificates: row.samlCertificates ?? [] };
  }
  return {
    ...common,
    protocol: "oidc",
    clientId: row.clientId!,
    clientSecret: await openSecret(key, sealedFor(row.tenantId), row.clientSecretSealed!),
  };
}

export async function saveIdentityProvider(
  db: QueryDatabase,
  key: CryptoKey,
  tenantId: TenantId,
  input: IdentityProviderInput,
): Promise<void> {
  const values = {
    protocol: input.protocol,
    issuer: input.issuer,
    // One protocol's columns at a time: switching clears the other's.
    clientId: input.protocol === "oidc" ? input.clientId : null,
    clientSecretSealed: input.protocol === "oidc" ? await sealSecret(key, sealedFor(tenantId), input.clientSecret) : null,
    samlSsoUrl: input.protocol === "saml" ? input.ssoUrl : null,
    samlCertificates: input.protocol === "saml" ? [...input.certificates] : null,
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
