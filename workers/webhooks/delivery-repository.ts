import { and, eq, sql } from "drizzle-orm";
import { webhookEndpoints } from "../../schema/index.ts";
import type { Database, QueryDatabase } from "../db/database.ts";
import { rowsOf } from "../db/result-rows.ts";
import { dispatcherAddresses, recordWebhookEvent } from "./record-event.ts";
import type { DispatchEndpoint, QueuedDelivery, SettledAttempt } from "./core/dispatch-types.ts";
import type { DispatcherAddress } from "./core/lane-shards.ts";

/**
 * The endpoint with its secrets opened (`open`: crypto/secret-box.ts). A secret stored before sealing existed (`whsec_…`)
 * is used as it is; the next rotation seals it.
 */
export async function loadDispatchEndpoint(
  db: QueryDatabase,
  endpointId: string,
  open: (endpointId: string, stored: string) => Promise<string>,
): Promise<DispatchEndpoint | null> {
  const [row] = await db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, endpointId)).limit(1);
  if (!row) return null;
  const openStored = (stored: string) => (stored.startsWith("whsec_") ? Promise.resolve(stored) : open(row.id, stored));
  return {
    id: row.id,
    tenantId: row.tenantId,
    url: row.url,
    enabled: row.enabled,
    secrets: {
      current: await openStored(row.signingSecret),
      previous: row.previousSigningSecret === null ? null : await openStored(row.previousSigningSecret),
      previousExpiresAt: row.previousSecretExpiresAt?.getTime() ?? null,
    },
    disableAfterSeconds: row.disableAfterSeconds,
    failingSince: row.failingSince?.getTime() ?? null,
  };
}

/**
 * The first `perLane` waiting deliveries of each lane of one shard, but for the lanes in `skipLanes` (in flight) (oldest fact first), for at most `maxLanes` lanes. A lane's
 * first row is its head: nothing behind it goes out before it is delivered or dead.
 */
export async function loadLanes(
  db: QueryDatabase,
  endpoint: Pick<DispatchEndpoint, "id" | "tenantId">,
  shard: number,
  perLane: number,
  maxLanes: number,
  skipLanes: readonly string[] = [],
): Promise<QueuedDelivery[][]> {
  const result = await db.execute(sql`
    with waiting as (
      select d.id, d.lane_key, d.event_seq, d.event_id, d.attempts, d.next_attempt_at,
             row_number() over (partition by d.lane_key order by d.event_seq, d.created_at) as rank,
             dense_rank() over (order by d.lane_key) as lane
      from webhook_deliveries d
      where d.endpoint_id = ${endpoint.id} and d.shard = ${shard} and d.tenant_id = ${endpoint.tenantId}
        and d.status in ('pending', 'failed') and d.lane_key not in (select jsonb_array_elements_text(${JSON.stringify(skipLanes)}::jsonb))
    )
    select w.id, w.lane_key, w.event_seq, w.event_id, w.attempts,
           (extract(epoch from w.next_attempt_at) * 1000)::bigint as next_attempt_ms, e.payload::text as body
    from waiting w join webhook_events e on e.tenant_id = ${endpoint.tenantId} and e.id = w.event_id
    where w.rank <= ${perLane} and w.lane <= ${maxLanes}
    order by w.lane_key, w.event_seq`);
  const lanes = new Map<string, QueuedDelivery[]>();
  for (const row of rowsOf(result)) {
    const laneKey = String(row.lane_key);
    const lane = lanes.get(laneKey) ?? [];
    lane.push({
      id: String(row.id),
      laneKey,
      eventSeq: Number(row.event_seq),
      eventId: String(row.event_id),
      attempts: Number(row.attempts),
      nextAttemptAt: Number(row.next_attempt_ms),
      body: String(row.body),
    });
    lanes.set(laneKey, lane);
  }
  return [...lanes.values()];
}

/** Writes attempts and their deliveries' new state, many in one statement (the dispatcher writes behind its sends). */
export async function writeSettledAttempts(db: QueryDatabase, tenantId: string, settled: readonly SettledAttempt[]): Promise<void> {
  if (settled.length === 0) return;
  const rows = settled.map((s) => ({
    id: s.deliveryId,
    attempt: s.attempt,
    started_at: new Date(s.startedAt).toISOString(),
    latency_ms: s.latencyMs,
    status_code: s.statusCode,
    snippet: s.responseSnippet,
    error: s.settlement.error,
    status: s.settlement.delivery.status,
    next_at: s.settlement.delivery.status === "failed" ? new Date(s.settlement.delivery.nextAttemptAt).toISOString() : null,
    finished_at: new Date(s.startedAt + s.latencyMs).toISOString(),
  }));
  await db.execute(sql`
    with s as (
      select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as s(
        id uuid, attempt int, started_at timestamptz, latency_ms int, status_code int, snippet text, error text,
        status text, next_at timestamptz, finished_at timestamptz)
    ), attempt as (
      insert into webhook_attempts (tenant_id, delivery_id, attempt, started_at, latency_ms, status_code, response_snippet, error)
      select ${tenantId}, s.id, s.attempt, s.started_at, s.latency_ms, s.status_code, s.snippet, s.error from s
    )
    update webhook_deliveries d
    set status = s.status::webhook_delivery_status, attempts = s.attempt, next_attempt_at = coalesce(s.next_at, d.next_attempt_at),
        last_status_code = s.status_code, last_error = s.error,
        delivered_at = case when s.status = 'delivered' then s.finished_at else d.delivered_at end
    from s
    where d.tenant_id = ${tenantId} and d.id = s.id`);
}

export async function setFailingSince(db: QueryDatabase, endpoint: Pick<DispatchEndpoint, "id" | "tenantId">, at: number | null) {
  await db
    .update(webhookEndpoints)
    .set({ failingSince: at === null ? null : new Date(at) })
    .where(and(eq(webhookEndpoints.tenantId, endpoint.tenantId), eq(webhookEndpoints.id, endpoint.id)));
}

/** Dispatchers holding a delivery due by `dueBy`: what the sweep wakes. */
export async function dispatchersWithDueDeliveries(db: QueryDatabase, dueBy: Date, limit: number): Promise<DispatcherAddress[]> {
  const result = await db.execute(sql`
    select distinct d.endpoint_id, d.shard from webhook_deliveries d
    join webhook_endpoints e on e.tenant_id = d.tenant_id and e.id = d.endpoint_id and e.enabled
    where d.status in ('pending', 'failed') and d.next_attempt_at <= ${dueBy.toISOString()}::timestamptz
    limit ${limit}`);
  return dispatcherAddresses(result);
}

/**
 * Disables an endpoint and records `endpoint.disabled` for the tenant's other endpoints, in one transaction.
 * Returns the endpoints to poke (none if it was already disabled).
 */
export async function disableEndpoint(
  db: Database,
  endpoint: Pick<DispatchEndpoint, "id" | "tenantId" | "url">,
  reason: "gone" | "failing",
  at: Date,
): Promise<DispatcherAddress[]> {
  return db.transaction(async (tx) => {
    const updated = await tx
      .update(webhookEndpoints)
      .set({ enabled: false, disabledAt: at, disabledReason: reason, updatedAt: at })
      .where(
        and(eq(webhookEndpoints.tenantId, endpoint.tenantId), eq(webhookEndpoints.id, endpoint.id), eq(webhookEndpoints.enabled, true)),
      )
      .returning({ id: webhookEndpoints.id });
    if (updated.length === 0) return [];
    return recordWebhookEvent(tx, {
      type: "endpoint.disabled",
      data: { endpointId: endpoint.id, url: endpoint.url, reason, at: at.toISOString() },
      tenantId: endpoint.tenantId,
      meetingId: null,
      sourceKey: `endpoint.disabled:${endpoint.id}:${at.toISOString()}`,
      occurredAt: at,
    });
  });
}
