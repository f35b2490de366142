import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  check,
  foreignKey,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  smallint,
  text,
  unique,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { createdAt, id, tenantId, timestamptz } from "./columns.ts";
import { tenants } from "./tenants.ts";

/** A tenant's receiver. Deliveries are signed per Standard Webhooks with `signing_secret` (and the previous one while it overlaps). */
export const webhookEndpoints = pgTable(
  "webhook_endpoints",
  {
    id: id(),
    tenantId: tenantId().references(() => tenants.id, { onDelete: "cascade" }),
    url: text("url").notNull(),
    /** `whsec_…`; returned to the tenant once, at creation or rotation. */
    signingSecret: text("signing_secret").notNull(),
    /** Empty: every event type except the opt-in ones (chat.message). */
    eventTypes: text("event_types").array().notNull().default(sql`'{}'::text[]`),
    enabled: boolean("enabled").notNull().default(true),
    createdAt: createdAt(),
    disabledAt: timestamptz("disabled_at"),
    description: text("description").notNull().default(""),
    /** The secret a rotation replaced; it keeps signing beside the new one until `previous_secret_expires_at`. */
    previousSigningSecret: text("previous_signing_secret"),
    previousSecretExpiresAt: timestamptz("previous_secret_expires_at"),
    /** How long deliveries may keep failing before the endpoint is disabled. */
    disableAfterSeconds: integer("disable_after_seconds").notNull().default(432_000),
    /** The first failure since the last success; null while the endpoint answers. */
    failingSince: timestamptz("failing_since"),
    /** `gone` (it answered 410), `failing` (failed for disable_after_seconds) or `tenant` (the API turned it off). */
    disabledReason: text("disabled_reason"),
    updatedAt: timestamptz("updated_at").notNull().defaultNow(),
  },
  (t) => [
    unique("webhook_endpoints_tenant_id_id_uq").on(t.tenantId, t.id),
    uniqueIndex("webhook_endpoints_tenant_url_uq").on(t.tenantId, t.url),
    check("webhook_endpoints_disable_after_ck", sql`${t.disableAfterSeconds} >= 1`),
  ],
);

/**
 * What happened, recorded in the same transaction as the fact it reports. `seq` orders a meeting's events as their
 * facts were committed; `source_key` names the fact, so a retried write (an outbox flush after a timeout) records it once.
 */
export const webhookEvents = pgTable(
  "webhook_events",
  {
    id: id(),
    tenantId: tenantId().references(() => tenants.id, { onDelete: "cascade" }),
    seq: bigint("seq", { mode: "number" }).generatedAlwaysAsIdentity().notNull(),
    meetingId: uuid("meeting_id"),
    type: text("type").notNull(),
    /** The envelope exactly as sent (and signed): id, type, timestamp, meetingId, version, data. */
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
    sourceKey: text("source_key").notNull(),
    occurredAt: timestamptz("occurred_at").notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    unique("webhook_events_tenant_id_id_uq").on(t.tenantId, t.id),
    uniqueIndex("webhook_events_source_uq").on(t.tenantId, t.sourceKey),
    index("webhook_events_tenant_created_idx").on(t.tenantId, t.createdAt),
  ],
);

/** `failed` means failed so far and waiting for its next attempt; `dead` means the schedule ran out (dead-lettered). */
export const webhookDeliveryStatus = pgEnum("webhook_delivery_status", ["pending", "delivered", "failed", "dead"]);

/** One event to one endpoint, written with the event; the endpoint's dispatcher sends it until delivered or dead. */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: id(),
    tenantId: tenantId(),
    endpointId: uuid("endpoint_id").notNull(),
    eventId: uuid("event_id").notNull(),
    eventType: text("event_type").notNull(),
    status: webhookDeliveryStatus("status").notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamptz("next_attempt_at").notNull().defaultNow(),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    createdAt: createdAt(),
    deliveredAt: timestamptz("delivered_at"),
    eventSeq: bigint("event_seq", { mode: "number" }).notNull(),
    meetingId: uuid("meeting_id"),
    /** Deliveries of one lane go out one at a time in `event_seq` order: the meeting's id, or `tenant` for the rest. */
    laneKey: text("lane_key").notNull(),
    /** Set on a replay: the delivery it repeats. */
    replayOf: uuid("replay_of"),
    /** Which of the endpoint's dispatchers sends it (workers/webhooks/lane-shards.ts): a lane always has one. */
    shard: smallint("shard").notNull().default(0),
  },
  (t) => [
    unique("webhook_deliveries_tenant_id_id_uq").on(t.tenantId, t.id),
    uniqueIndex("webhook_deliveries_event_uq").on(t.tenantId, t.endpointId, t.eventId).where(sql`${t.replayOf} is null`),
    index("webhook_deliveries_shard_lane_idx")
      .on(t.endpointId, t.shard, t.laneKey, t.eventSeq)
      .where(sql`${t.status} in ('pending', 'failed')`),
    index("webhook_deliveries_due_idx").on(t.nextAttemptAt).where(sql`${t.status} in ('pending', 'failed')`),
    index("webhook_deliveries_log_idx").on(t.tenantId, t.endpointId, t.createdAt.desc(), t.id.desc()),
    // /healthz counts the dead ones; recover-since and that count look for a delivery's replays.
    index("webhook_deliveries_dead_idx").on(t.createdAt).where(sql`${t.status} = 'dead'`),
    index("webhook_deliveries_replay_idx").on(t.tenantId, t.replayOf).where(sql`${t.replayOf} is not null`),
    foreignKey({
      columns: [t.tenantId, t.endpointId],
      foreignColumns: [webhookEndpoints.tenantId, webhookEndpoints.id],
    }).onDelete("cascade"),
    foreignKey({ columns: [t.tenantId, t.eventId], foreignColumns: [webhookEvents.tenantId, webhookEvents.id] }).onDelete("cascade"),
    check("webhook_deliveries_attempts_ck", sql`${t.attempts} >= 0`),
  ],
);

/** Every try of a delivery: what the receiver answered and how fast, for the delivery log. */
export const webhookAttempts = pgTable(
  "webhook_attempts",
  {
    id: id(),
    tenantId: tenantId(),
    deliveryId: uuid("delivery_id").notNull(),
    attempt: integer("attempt").notNull(),
    startedAt: timestamptz("started_at").notNull(),
    latencyMs: integer("latency_ms").notNull(),
    /** Null when no HTTP answer came (timeout, refused connection). */
    statusCode: integer("status_code"),
    /** The first bytes of the response body, as text. */
    responseSnippet: text("response_snippet"),
    /** Why it failed, in our words (`timeout`, `redirect`, `connection_failed`), never the receiver's. */
    error: text("error"),
  },
  (t) => [
    index("webhook_attempts_delivery_idx").on(t.tenantId, t.deliveryId, t.attempt),
    foreignKey({
      columns: [t.tenantId, t.deliveryId],
      foreignColumns: [webhookDeliveries.tenantId, webhookDeliveries.id],
    }).onDelete("cascade"),
  ],
);
