import { sql, type SQL } from "drizzle-orm";
import type { QueryDatabase } from "../db/database.ts";
import type { PageCursor } from "../meetings/page-cursor.ts";
import { rowsOf } from "../db/result-rows.ts";

export interface DeliveryFilter {
  endpointId?: string;
  eventType?: string;
  meetingId?: string;
  status?: string;
}

export interface AttemptView {
  attempt: number;
  startedAt: string;
  latencyMs: number;
  statusCode: number | null;
  responseSnippet: string | null;
  error: string | null;
}

export interface DeliveryView {
  id: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  meetingId: string | null;
  status: "pending" | "delivered" | "failed" | "dead";
  attempts: number;
  nextAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
  replayOf: string | null;
  attemptLog: AttemptView[];
}

/** Times as ISO text (to_json's form), so they read the same over every driver. */
const deliveryColumns = sql`d.id, d.endpoint_id, d.event_id, d.event_type, d.meeting_id, d.status, d.attempts,
  to_json(d.next_attempt_at) #>> '{}' as next_attempt_at, d.last_status_code, d.last_error,
  to_json(d.created_at) #>> '{}' as created_at, to_json(d.delivered_at) #>> '{}' as delivered_at, d.replay_of`;
/** Pages are cut at the millisecond the cursor carries. */
const pageKey = sql`date_trunc('milliseconds', d.created_at)`;

/** The latest attempts of a delivery as one JSON array (newest first). */
const attemptLog = (limit: number) => sql`coalesce((
  select jsonb_agg(jsonb_build_object('attempt', a.attempt, 'startedAt', a.started_at, 'latencyMs', a.latency_ms,
    'statusCode', a.status_code, 'responseSnippet', a.response_snippet, 'error', a.error) order by a.attempt desc)
  from (select * from webhook_attempts a where a.tenant_id = d.tenant_id and a.delivery_id = d.id
        order by a.attempt desc limit ${limit}) a), '[]'::jsonb) as attempt_log`;

/** A page of one tenant's deliveries, newest first, each with its latest attempts. */
export async function listDeliveries(
  db: QueryDatabase,
  tenantId: string,
  filter: DeliveryFilter,
  limit: number,
  after: PageCursor | undefined,
): Promise<{ rows: DeliveryView[]; last: PageCursor | undefined }> {
  const conditions: SQL[] = [sql`d.tenant_id = ${tenantId}`];
  if (filter.endpointId) conditions.push(sql`d.endpoint_id = ${filter.endpointId}`);
  if (filter.eventType) conditions.push(sql`d.event_type = ${filter.eventType}`);
  if (filter.meetingId) conditions.push(sql`d.meeting_id = ${filter.meetingId}`);
  if (filter.status) conditions.push(sql`d.status = ${filter.status}::webhook_delivery_status`);
  if (after) conditions.push(sql`(${pageKey}, d.id) < (${after.createdAt.toISOString()}::timestamptz, ${after.id}::uuid)`);
  const result = await db.execute(sql`
    select ${deliveryColumns}, ${attemptLog(10)}
    from webhook_deliveries d
    where ${sql.join(conditions, sql` and `)}
    order by ${pageKey} desc, d.id desc
    limit ${limit}`);
  const raw = rowsOf(result);
  const rows = raw.map(deliveryView);
  const lastRow = raw.at(-1);
  return { rows, last: lastRow ? { createdAt: new Date(String(lastRow.created_at)), id: String(lastRow.id) } : undefined };
}

/** One delivery with every attempt and the event exactly as sent; undefined for another tenant's or a missing one. */
export async function findDelivery(
  db: QueryDatabase,
  tenantId: string,
  id: string,
): Promise<(DeliveryView & { event: Record<string, unknown> }) | undefined> {
  const result = await db.execute(sql`
    select ${deliveryColumns}, ${attemptLog(100)}, e.payload as event
    from webhook_deliveries d join webhook_events e on e.tenant_id = d.tenant_id and e.id = d.event_id
    where d.tenant_id = ${tenantId} and d.id = ${id}`);
  const [row] = rowsOf(result);
  return row ? { ...deliveryView(row), event: parseJson(row.event) as Record<string, unknown> } : undefined;
}

/**
 * Queues a delivery again as a new delivery of the same event (same webhook-id, so a receiver that deduplicates
 * may drop it). It takes its event's place in its lane. Undefined if the tenant has no such delivery.
 */
export async function replayDelivery(
  db: QueryDatabase,
  tenantId: string,
  id: string,
): Promise<(DeliveryView & { shard: number }) | undefined> {
  const result = await db.execute(sql`
    with d as (
      insert into webhook_deliveries (tenant_id, endpoint_id, event_id, event_type, event_seq, meeting_id, lane_key, shard, replay_of)
      select tenant_id, endpoint_id, event_id, event_type, event_seq, meeting_id, lane_key, shard, id
      from webhook_deliveries where tenant_id = ${tenantId} and id = ${id}
      returning *
    )
    select ${deliveryColumns}, d.shard, '[]'::jsonb as attempt_log from d`);
  const [row] = rowsOf(result);
  return row ? { ...deliveryView(row), shard: Number(row.shard) } : undefined;
}

/** Replays every dead delivery of an endpoint created since `since` (one replay each, however often asked). */
export async function recoverSince(db: QueryDatabase, tenantId: string, endpointId: string, since: Date): Promise<number> {
  const result = await db.execute(sql`
    with replayed as (
      insert into webhook_deliveries (tenant_id, endpoint_id, event_id, event_type, event_seq, meeting_id, lane_key, shard, replay_of)
      select d.tenant_id, d.endpoint_id, d.event_id, d.event_type, d.event_seq, d.meeting_id, d.lane_key, d.shard, d.id
      from webhook_deliveries d
      where d.tenant_id = ${tenantId} and d.endpoint_id = ${endpointId} and d.status = 'dead'
        and d.created_at >= ${since.toISOString()}::timestamptz
        and not exists (select 1 from webhook_deliveries r where r.tenant_id = d.tenant_id and r.replay_of = d.id
                        and r.status in ('pending', 'failed'))
      returning 1
    )
    select count(*)::int as replayed from replayed`);
  return Number(rowsOf(result)[0]?.replayed ?? 0);
}

function deliveryView(row: Record<string, unknown>): DeliveryView {
  const status = String(row.status) as DeliveryView["status"];
  return {
    id: String(row.id),
    endpointId: String(row.endpoint_id),
    eventId: String(row.event_id),
    eventType: String(row.event_type),
    meetingId: row.meeting_id === null ? null : String(row.meeting_id),
    status,
    attempts: Number(row.attempts),
    nextAttemptAt: status === "pending" || status === "failed" ? iso(row.next_attempt_at) : null,
    lastStatusCode: row.last_status_code === null ? null : Number(row.last_status_code),
    lastError: row.last_error === null ? null : String(row.last_error),
    createdAt: iso(row.created_at)!,
    deliveredAt: iso(row.delivered_at),
    replayOf: row.replay_of === null ? null : String(row.replay_of),
    attemptLog: (parseJson(row.attempt_log) as AttemptView[]).map((a) => ({ ...a, startedAt: iso(a.startedAt)! })),
  };
}

function iso(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return new Date(value instanceof Date ? value : String(value)).toISOString();
}

function parseJson(value: unknown): unknown {
  return typeof value === "string" ? JSON.parse(value) : value;
}
