import { sql } from "drizzle-orm";
import { boolean, check, foreignKey, index, integer, jsonb, pgEnum, pgTable, text, unique, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, tenantId, timestamptz } from "./columns.ts";
import { tenants } from "./tenants.ts";

export const webhookEndpoints = pgTable(
  "webhook_endpoints",
  {
    id: id(),
    tenantId: tenantId().references(() => tenants.id, { onDelete: "cascade" }),
    url: text("url").notNull(),
    /** HMAC signing secret; returned to the tenant once at creation. */
    signingSecret: text("signing_secret").notNull(),
    eventTypes: text("event_types").array().notNull().default(sql`'{}'::text[]`),
    enabled: boolean("enabled").notNull().default(true),
    createdAt: createdAt(),
    disabledAt: timestamptz("disabled_at"),
  },
  (t) => [
    unique("webhook_endpoints_tenant_id_id_uq").on(t.tenantId, t.id),
    uniqueIndex("webhook_endpoints_tenant_url_uq").on(t.tenantId, t.url),
  ],
);

export const webhookDeliveryStatus = pgEnum("webhook_delivery_status", ["pending", "delivered", "failed", "dead"]);

/** The outbox: a delivery row is written with the event, then retried until delivered or dead. */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: id(),
    tenantId: tenantId(),
    endpointId: uuid("endpoint_id").notNull(),
    eventId: uuid("event_id").notNull(),
    eventType: text("event_type").notNull(),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
    status: webhookDeliveryStatus("status").notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamptz("next_attempt_at").notNull().defaultNow(),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    createdAt: createdAt(),
    deliveredAt: timestamptz("delivered_at"),
  },
  (t) => [
    unique("webhook_deliveries_tenant_id_id_uq").on(t.tenantId, t.id),
    uniqueIndex("webhook_deliveries_event_uq").on(t.tenantId, t.endpointId, t.eventId),
    index("webhook_deliveries_due_idx").on(t.nextAttemptAt).where(sql`${t.status} in ('pending', 'failed')`),
    foreignKey({
      columns: [t.tenantId, t.endpointId],
      foreignColumns: [webhookEndpoints.tenantId, webhookEndpoints.id],
    }).onDelete("cascade"),
    check("webhook_deliveries_attempts_ck", sql`${t.attempts} >= 0`),
  ],
);
