import { sql } from "drizzle-orm";
import { index, pgEnum, pgTable, text, unique, uniqueIndex } from "drizzle-orm/pg-core";
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

/** A tenant's own end users, known by the tenant's id for them. */
export const users = pgTable(
  "users",
  {
    id: id(),
    tenantId: tenantId().references(() => tenants.id, { onDelete: "cascade" }),
    externalId: text("external_id").notNull(),
    displayName: text("display_name"),
    email: text("email"),
    createdAt: createdAt(),
  },
  (t) => [unique("users_tenant_id_id_uq").on(t.tenantId, t.id), uniqueIndex("users_tenant_external_id_uq").on(t.tenantId, t.externalId)],
);
