import { sql } from "drizzle-orm";
import { bigint, check, foreignKey, index, pgEnum, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, tenantId, timestamptz } from "./columns.ts";
import { meetings } from "./meetings.ts";
import { tenants } from "./tenants.ts";

export const usageKind = pgEnum("usage_kind", [
  "participant_seconds",
  "sfu_participant_seconds",
  "recording_seconds",
  "storage_byte_hours",
  "turn_relay_bytes",
]);

/** Billable usage. `source_id` makes metering idempotent: one record per (tenant, kind, source). */
export const usageRecords = pgTable(
  "usage_records",
  {
    id: id(),
    tenantId: tenantId().references(() => tenants.id),
    meetingId: uuid("meeting_id"),
    kind: usageKind("kind").notNull(),
    quantity: bigint("quantity", { mode: "number" }).notNull(),
    sourceId: text("source_id").notNull(),
    periodStart: timestamptz("period_start").notNull(),
    periodEnd: timestamptz("period_end").notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("usage_records_source_uq").on(t.tenantId, t.kind, t.sourceId),
    index("usage_records_tenant_period_idx").on(t.tenantId, t.periodStart),
    foreignKey({ columns: [t.tenantId, t.meetingId], foreignColumns: [meetings.tenantId, meetings.id] }),
    check("usage_records_quantity_ck", sql`${t.quantity} >= 0`),
    check("usage_records_period_ck", sql`${t.periodEnd} >= ${t.periodStart}`),
  ],
);
