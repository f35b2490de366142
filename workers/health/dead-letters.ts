import { count, isNull, sql } from "drizzle-orm";
import { outboxDeadLetters } from "../../schema/index.ts";
import type { QueryDatabase } from "../db/database.ts";
import { rowsOf } from "../db/result-rows.ts";

/**
 * Records meeting rooms' outboxes set aside because Postgres kept refusing them, not yet resolved by an operator.
 * Shown on /healthz: non-zero means chat or billing records are waiting in `outbox_dead_letters` for a look.
 */
export async function unresolvedDeadLetters(db: QueryDatabase): Promise<number> {
  const [row] = await db.select({ n: count() }).from(outboxDeadLetters).where(isNull(outboxDeadLetters.resolvedAt));
  return row?.n ?? 0;
}

/**
 * Webhook deliveries that ran out of attempts and were not delivered by a replay since. Shown on /healthz beside the
 * outbox's dead letters; each tenant sees its own in the delivery log (`status=dead`) and can replay them.
 */
export async function deadWebhookDeliveries(db: QueryDatabase): Promise<number> {
  const result = await db.execute(sql`
    select count(*)::int as n from webhook_deliveries d
    where d.status = 'dead'
      and not exists (select 1 from webhook_deliveries r where r.tenant_id = d.tenant_id and r.replay_of = d.id and r.status = 'delivered')`);
  return Number(rowsOf(result)[0]?.n ?? 0);
}
