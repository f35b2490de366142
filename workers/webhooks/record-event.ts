import { sql, type SQL } from "drizzle-orm";
import type { QueryDatabase } from "../db/database.ts";
import { rowsOf } from "../db/result-rows.ts";
import { envelopeOf, optInEventTypes, type WebhookFact } from "./core/event-catalog.ts";
import { laneShard, type DispatcherAddress } from "./core/lane-shards.ts";

/** Anything that runs a statement: the HTTP path, a pool, or a transaction (pass the transaction to join it). */
export type StatementRunner = Pick<QueryDatabase, "execute">;

/**
 * Records webhook events and one delivery per enabled endpoint of the tenant that wants each, in one statement, so
 * they commit with whatever transaction the caller runs it in (the facts they report). A fact recorded before
 * (same source key) records nothing; an opt-in type that no endpoint wants is not recorded at all. Events get
 * `seq` in the order given. Returns the endpoints that got a delivery: poke their dispatchers once the caller's
 * transaction has committed (`pokeDispatchers`).
 */
export async function recordWebhookEvents(db: StatementRunner, facts: readonly WebhookFact[]): Promise<DispatcherAddress[]> {
  if (facts.length === 0) return [];
  return dispatcherAddresses(await db.execute(webhookEventsStatement(facts)));
}

/**
 * A write that makes the facts, run as common table expressions ahead of the events: `with` (may modify rows; it runs
 * whether or not anything reads it) and `when` (the facts are recorded only if it holds). The fact and its events are
 * then one statement, atomic without an interactive transaction.
 */
export interface FactWrite {
  with: SQL;
  when: SQL;
  /**
   * Whether the write took effect (read back with `writeApplied`): set it when the caller must tell a write that
   * matched nothing from one that recorded no deliveries. The answer then always has a row.
   */
  applied?: SQL;
}

/** The statement `recordWebhookEvents` runs, optionally behind the write that makes the facts. */
export function webhookEventsStatement(facts: readonly WebhookFact[], write?: FactWrite): SQL {
  const tenantId = facts[0]!.tenantId;
  if (facts.some((fact) => fact.tenantId !== tenantId)) throw new Error("webhook events are recorded one tenant at a time");
  const rows = facts.map((fact, ordinal) => {
    const id = crypto.randomUUID();
    return {
      ordinal,
      id,
      meeting_id: fact.meetingId,
      type: fact.type,
      payload: envelopeOf(id, fact),
      source_key: fact.sourceKey,
      occurred_at: fact.occurredAt.toISOString(),
      opt_in: optInEventTypes.includes(fact.type),
      lane_key: laneKeyOf(fact.meetingId),
      shard: laneShard(laneKeyOf(fact.meetingId)),
    };
  });
  const wants = sql`e.tenant_id = ${tenantId} and e.enabled
    and ((cardinality(e.event_types) = 0 and not f.opt_in) or f.type = any(e.event_types))`;
  return sql`
    with ${write ? sql`${write.with}, ` : sql``}f as (
      select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as f(
        ordinal int, id uuid, meeting_id uuid, type text, payload jsonb, source_key text, occurred_at timestamptz,
        opt_in boolean, lane_key text, shard smallint)
      where ${write?.when ?? sql`true`}
    ), event as (
      insert into webhook_events (id, tenant_id, meeting_id, type, payload, source_key, occurred_at)
      select f.id, ${tenantId}, f.meeting_id, f.type, f.payload, f.source_key, f.occurred_at
      from f
      where not f.opt_in or exists (select 1 from webhook_endpoints e where ${wants})
      order by f.ordinal
      on conflict (tenant_id, source_key) do nothing
      returning id, seq
    ), delivery as (
      insert into webhook_deliveries (tenant_id, endpoint_id, event_id, event_type, event_seq, meeting_id, lane_key, shard)
      select ${tenantId}, e.id, event.id, f.type, event.seq, f.meeting_id, f.lane_key, f.shard
      from event join f on f.id = event.id join webhook_endpoints e on ${wants}
      returning endpoint_id, shard
    )
    ${
      write?.applied
        ? sql`select (${write.applied}) as applied, d.endpoint_id, d.shard
            from (select 1) as one left join (select distinct endpoint_id, shard from delivery) as d on true`
        : sql`select distinct endpoint_id, shard from delivery`
    }`;
}

/** The (endpoint, shard) pairs of a result, as dispatchers to wake. */
export function dispatcherAddresses(result: unknown): DispatcherAddress[] {
  return rowsOf(result)
    .filter((row) => row.endpoint_id != null)
    .map((row) => ({ endpointId: String(row.endpoint_id), shard: Number(row.shard) }));
}

/** Whether the write behind the facts took effect: its `applied` expression, as the statement answered it. */
export function writeApplied(result: unknown): boolean {
  return rowsOf(result)[0]?.applied === true;
}

/** One fact: see `recordWebhookEvents`. */
export function recordWebhookEvent(db: StatementRunner, fact: WebhookFact): Promise<DispatcherAddress[]> {
  return recordWebhookEvents(db, [fact]);
}

/** A meeting's deliveries go out in order; tenant-wide events share one lane of their own. */
export function laneKeyOf(meetingId: string | null): string {
  return meetingId ?? "tenant";
}
