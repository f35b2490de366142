import { usageRecords } from "../../schema/index.ts";
import type { UsageEntry } from "../../media-fleet/webhook-routing.ts";
import type { QueryDatabase } from "../db/database.ts";

export interface UsageOwner {
  tenantId: string;
  meetingId: string;
}

/**
 * Writes one usage record. Idempotent on (tenant, kind, source): the same fact reported twice (a redelivered
 * LiveKit webhook, the room's own close-out of the same session, a retried outbox flush) bills once.
 */
export async function writeUsage(db: Pick<QueryDatabase, "insert">, owner: UsageOwner, entry: UsageEntry): Promise<void> {
  const { kind, quantity, sourceId, periodStart, periodEnd } = entry;
  await db
    .insert(usageRecords)
    .values({ ...owner, kind, quantity, sourceId, periodStart: new Date(periodStart), periodEnd: new Date(periodEnd) })
    .onConflictDoNothing({ target: [usageRecords.tenantId, usageRecords.kind, usageRecords.sourceId] });
}
