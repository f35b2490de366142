import { timestamp, uuid } from "drizzle-orm/pg-core";

/** Shared column builders: every table has a uuid id, a tenant_id and creation time. */
export const id = () => uuid("id").primaryKey().defaultRandom();
export const tenantId = () => uuid("tenant_id").notNull();
export const timestamptz = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });
export const createdAt = () => timestamptz("created_at").notNull().defaultNow();
