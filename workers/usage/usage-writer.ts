import { usageRecords } from "../../schema/index.ts";
import type { QueryDatabase } from "../db/database.ts";
import { recordQuantity, type UsageMeter, type UsageSource } from "./meters.ts";

export interface UsageOwner {
  tenantId: string;
  /** Null for tenant-wide usage (storage). */
  meetingId: string | null;
}

/** One fact's usage, as the LiveKit webhook route, the meeting room and the reconcilers report it. */
export interface UsageFact {
  kind: UsageMeter;
  /** The meter's base unit; a time meter's is recomputed from the period (ms), so every writer counts alike. */
  quantity: number;
  /** Names the fact within its source (`livekit:<room sid>:<participant sid>`, `room:p2p:…`, `s3:<key>`). */
  sourceId: string;
  periodStart: string;
  periodEnd: string;
}

/**
 * Writes one usage record. Idempotent on (tenant, kind, source id): the same fact reported twice (a redelivered
 * LiveKit webhook, the room's own close-out of the same session, a retried outbox flush, a reconciliation that
 * found what a webhook already billed) bills once, and the first report stands. The insert trigger keeps the
 * hourly rollup and marks a record for an already closed period as its adjustment.
 */
export async function writeUsage(
  db: Pick<QueryDatabase, "insert">,
  owner: UsageOwner,
  entry: UsageFact,
  source: UsageSource = "livekit_webhook",
): Promise<void> {
  const { kind, sourceId } = entry;
  const startMs = Date.parse(entry.periodStart);
  const endMs = Date.parse(entry.periodEnd);
  // A fact with an end before its start (clock skew between a node and us) is billed as zero-length, not refused.
  const periodEnd = new Date(endMs);
  const periodStart = new Date(Math.min(startMs, endMs));
  const quantity = recordQuantity(kind, entry.quantity, periodStart.getTime(), endMs);
  await db
    .insert(usageRecords)
    .values({ ...owner, kind, quantity, source, sourceId, periodStart, periodEnd })
    .onConflictDoNothing({ target: [usageRecords.tenantId, usageRecords.kind, usageRecords.sourceId] });
}

/** Several facts in one statement (a metering run's findings), each idempotent like `writeUsage`. */
export async function writeUsageBatch(
  db: Pick<QueryDatabase, "insert">,
  facts: readonly { owner: UsageOwner; entry: UsageFact }[],
  source: UsageSource,
): Promise<void> {
  if (!facts.length) return;
  const rows = facts.map(({ owner, entry }) => {
    const endMs = Date.parse(entry.periodEnd);
    const periodStart = new Date(Math.min(Date.parse(entry.periodStart), endMs));
    return {
      ...owner,
      kind: entry.kind,
      quantity: recordQuantity(entry.kind, entry.quantity, periodStart.getTime(), endMs),
      source,
      sourceId: entry.sourceId,
      periodStart,
      periodEnd: new Date(endMs),
    };
  });
  await db
    .insert(usageRecords)
    .values(rows)
    .onConflictDoNothing({ target: [usageRecords.tenantId, usageRecords.kind, usageRecords.sourceId] });
}
