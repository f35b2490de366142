import { sql } from "drizzle-orm";
import { check, index, integer, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, tenantId, timestamptz } from "./columns.ts";

/**
 * Records a meeting room's outbox gave up on: Postgres kept refusing them (a data or integrity error, a trigger),
 * so they were set aside instead of blocking the records behind them. Kept for an operator to inspect, fix
 * and replay (then set `resolved_at`); `GET /healthz` counts the unresolved ones.
 *
 * No foreign keys on purpose: a dead letter must be storable even when what it points at is the problem.
 * The payload is the record as JSON *text*, not jsonb: the refused value itself must fit.
 */
export const outboxDeadLetters = pgTable(
  "outbox_dead_letters",
  {
    id: id(),
    tenantId: tenantId(),
    meetingId: uuid("meeting_id").notNull(),
    /** `chat` or `records`. */
    outbox: text("outbox").notNull(),
    /** Which record: `chat:<seq>@<revision>` or `record:<row id>`; a retried dead-lettering stores it once. */
    recordKey: text("record_key").notNull(),
    attempts: integer("attempts").notNull(),
    /** The last failure's class (`sqlstate:23514`, `RangeError`), never its message. */
    errorClass: text("error_class").notNull(),
    /** The record as JSON text; null only if Postgres refused even that. */
    payload: text("payload"),
    createdAt: createdAt(),
    resolvedAt: timestamptz("resolved_at"),
  },
  (t) => [
    uniqueIndex("outbox_dead_letters_tenant_id_uq").on(t.tenantId, t.id),
    uniqueIndex("outbox_dead_letters_record_uq").on(t.tenantId, t.meetingId, t.outbox, t.recordKey),
    index("outbox_dead_letters_unresolved_idx").on(t.createdAt).where(sql`${t.resolvedAt} is null`),
    check("outbox_dead_letters_outbox_ck", sql`${t.outbox} in ('chat', 'records')`),
  ],
);
