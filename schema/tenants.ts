import { sql } from "drizzle-orm";
import { index, jsonb, pgEnum, pgTable, text, unique, uniqueIndex } from "drizzle-orm/pg-core";
import { tenantRoles, type TenantRole } from "../protocol/permissions.ts";
import { createdAt, id, tenantId, timestamptz } from "./columns.ts";

export const tenantStatus = pgEnum("tenant_status", ["active", "suspended"]);

export const tenants = pgTable("tenants", {
  id: id(),
  name: text("name").notNull(),
  status: tenantStatus("status").notNull().default("active"),
  createdAt: createdAt(),
  updatedAt: timestamptz("updated_at").notNull().defaultNow(),
});

/**
 * Server API keys. Only a SHA-256 of the key is stored; `prefix` is the non-secret head shown in dashboards.
 * The hash is unique across tenants because it is how a request finds its tenant.
 */
export const apiKeys = pgTable(
  "api_keys",
  {
    id: id(),
    tenantId: tenantId().references(() => tenants.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    prefix: text("prefix").notNull(),
    keyHash: text("key_hash").notNull(),
    createdAt: createdAt(),
    lastUsedAt: timestamptz("last_used_at"),
    expiresAt: timestamptz("expires_at"),
    revokedAt: timestamptz("revoked_at"),
  },
  (t) => [
    uniqueIndex("api_keys_key_hash_uq").on(t.keyHash),
    unique("api_keys_tenant_id_id_uq").on(t.tenantId, t.id),
    index("api_keys_tenant_active_idx").on(t.tenantId).where(sql`${t.revokedAt} is null`),
  ],
);

/** A tenant's roles for its people (protocol/permissions.ts decides what each may do). */
export const tenantRole = pgEnum("tenant_role", tenantRoles);
export const userStatus = pgEnum("user_status", ["active", "deactivated"]);

/**
 * A tenant's own end users: known by the tenant's id for them (`external_id`, when the tenant provisions them), or
 * by their identity provider's issuer and subject (signed in through the tenant's OIDC provider, provisioned at
 * their first sign-in).
 */
export const users = pgTable(
  "users",
  {
    id: id(),
    tenantId: tenantId().references(() => tenants.id, { onDelete: "cascade" }),
    externalId: text("external_id"),
    displayName: text("display_name"),
    email: text("email"),
    role: tenantRole("role").notNull().default("member"),
    status: userStatus("status").notNull().default("active"),
    idpIssuer: text("idp_issuer"),
    idpSubject: text("idp_subject"),
    timeZone: text("time_zone"),
    locale: text("locale"),
    preferences: jsonb("preferences").notNull().default({}),
    /** The profile picture's object key (avatars/<tenant>/<user>/…), uploaded by the browser through a presigned URL. */
    avatarKey: text("avatar_key"),
    lastSignInAt: timestamptz("last_sign_in_at"),
    deactivatedAt: timestamptz("deactivated_at"),
    createdAt: createdAt(),
    updatedAt: timestamptz("updated_at").notNull().defaultNow(),
  },
  (t) => [
    unique("users_tenant_id_id_uq").on(t.tenantId, t.id),
    uniqueIndex("users_tenant_external_id_uq").on(t.tenantId, t.externalId),
    uniqueIndex("users_tenant_idp_subject_uq").on(t.tenantId, t.idpIssuer, t.idpSubject),
    uniqueIndex("users_tenant_email_uq").on(t.tenantId, sql`lower(${t.email})`),
  ],
);

/**
 * A tenant's identity provider, OpenID Connect or SAML 2.0: its people sign in through it at
 * /v1/auth/{tenant}/login. An OpenID client secret is sealed at rest (workers/crypto/secret-box.ts, bound to the tenant). `roleMapping` maps values of `roleClaim`
 * (say, a group) to a tenant role given at the first sign-in; anyone else gets `defaultRole`.
 */
export const identityProtocol = pgEnum("identity_protocol", ["oidc", "saml"]);

export const tenantIdentityProviders = pgTable("tenant_identity_providers", {
  tenantId: tenantId()
    .primaryKey()
    .references(() => tenants.id, { onDelete: "cascade" }),
  protocol: identityProtocol("protocol").notNull().default("oidc"),
  /** OpenID: the issuer; SAML: the identity provider's entity ID (the assertions' Issuer). */
  issuer: text("issuer").notNull(),
  /** OpenID only. */
  clientId: text("client_id"),
  clientSecretSealed: text("client_secret_sealed"),
  /** SAML only: where sign-in requests go (HTTP-Redirect binding), and the certificates (PEM) its signatures may use. */
  samlSsoUrl: text("saml_sso_url"),
  samlCertificates: text("saml_certificates").array(),
  allowedEmailDomains: text("allowed_email_domains").array().notNull().default(sql`'{}'::text[]`),
  roleClaim: text("role_claim"),
  roleMapping: jsonb("role_mapping").$type<Record<string, TenantRole>>().notNull().default({}),
  defaultRole: tenantRole("default_role").notNull().default("member"),
  createdAt: createdAt(),
  updatedAt: timestamptz("updated_at").notNull().defaultNow(),
});
