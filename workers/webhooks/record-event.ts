import { sql } from "drizzle-orm";
import type { QueryDatabase } from "../db/database.ts";
import { envelopeOf, optInEventTypes, type WebhookFact } from "./event-catalog.ts";

/** Anything that runs a statement: the HTTP path, a pool, or a transaction (pass the transaction to join it). */
export type StatementRunner = Pick<QueryDatabase, "execute">;

/**
 * Records a webhook event and one delivery per enabled endpoint of the tenant that wants it, in one statement, so
 * it commits with whatever transaction the caller runs it in (the fact it reports). A fact recorded before
 * (same source key) records nothing. Returns the endpoints that got a delivery: poke their dispatchers once the
 * caller's transaction has committed (`pokeDispatchers`). An opt-in type no endpoint wants is not recorded at all.
 */
export async function recordWebhookEvent(db: StatementRunner, fact: WebhookFact): Promise<string[]> {
  const eventId = crypto.randomUUID();
  const envelope = envelopeOf(eventId, fact);
  const optIn = optInEventTypes.includes(fact.type);
  const wants = sql`e.tenant_id = ${fact.tenantId} and e.enabled
    and ((cardinality(e.event_types) = 0 and not ${optIn}) or ${fact.type} = any(e.event_types))`;
  const result = await db.execute(sql`
    with event as (
      insert into webhook_events (id, tenant_id, meeting_id, type, payload, source_key, occurred_at)
      select ${eventId}, ${fact.tenantId}, ${fact.meetingId}, ${fact.type}, ${JSON.stringify(envelope)}::jsonb,
             ${fact.sourceKey}, ${fact.occurredAt.toISOString()}::timestamptz
      where not ${optIn} or exists (select 1 from webhook_endpoints e where ${wants})
      on conflict (tenant_id, source_key) do nothing
      returning id, seq
    ), delivery as (
      insert into webhook_deliveries (tenant_id, endpoint_id, event_id, event_type, event_seq, meeting_id, lane_key)
      select ${fact.tenantId}, e.id, event.id, ${fact.type}, event.seq, ${fact.meetingId}, ${laneKeyOf(fact.meetingId)}
      from event join webhook_endpoints e on ${wants}
      returning endpoint_id
    )
    select endpoint_id from delivery`);
  return rowsOf(result).map((row) => String(row.endpoint_id));
}

/** A meeting's deliveries go out in order; tenant-wide events share one lane of their own. */
export function laneKeyOf(meetingId: string | null): string {
  return meetingId ?? "tenant";
}

export function rowsOf(result: unknown): Record<string, unknown>[] {
  const rows = (result as { rows?: unknown }).rows ?? result;
  return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [];
}
