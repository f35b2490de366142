import { and, arrayContains, desc, eq, gte, lt, lte, or, sql, type SQL } from "drizzle-orm";
import { recordingRenditions, recordings, tenantRecordingPolicies } from "../../schema/index.ts";
import type { QueryDatabase } from "../db/database.ts";
import type { PageCursor } from "../meetings/page-cursor.ts";

/** Every query here takes the tenant and filters on it: there is no unscoped read. */
export type RecordingRow = typeof recordings.$inferSelect;
export type RenditionRow = typeof recordingRenditions.$inferSelect;

export interface RecordingFilter {
  meetingId?: string | undefined;
  /** Created at or after / before. */
  from?: Date | undefined;
  to?: Date | undefined;
  /** A participant's display name or identity, exactly. */
  participant?: string | undefined;
  /** Full-text search over title, participant names and the meeting's chat while recorded. */
  q?: string | undefined;
}

export async function listRecordings(
  db: QueryDatabase,
  tenantId: string,
  filter: RecordingFilter,
  page: { limit: number; after: PageCursor | undefined },
): Promise<RecordingRow[]> {
  const conditions: (SQL | undefined)[] = [eq(recordings.tenantId, tenantId)];
  if (filter.meetingId) conditions.push(eq(recordings.meetingId, filter.meetingId));
  if (filter.from) conditions.push(gte(recordings.createdAt, filter.from));
  if (filter.to) conditions.push(lte(recordings.createdAt, filter.to));
  if (filter.participant) conditions.push(arrayContains(recordings.participantNames, [filter.participant]));
  if (filter.q) conditions.push(sql`${recordings.search} @@ websearch_to_tsquery('simple', ${filter.q})`);
  if (page.after) {
    const { createdAt, id } = page.after;
    conditions.push(or(lt(recordings.createdAt, createdAt), and(eq(recordings.createdAt, createdAt), lt(recordings.id, id))));
  }
  return db
    .select()
    .from(recordings)
    .where(and(...conditions))
    .orderBy(desc(recordings.createdAt), desc(recordings.id))
    .limit(page.limit);
}

export async function findRecording(db: QueryDatabase, tenantId: string, id: string): Promise<RecordingRow | undefined> {
  const [row] = await db
    .select()
    .from(recordings)
    .where(and(eq(recordings.tenantId, tenantId), eq(recordings.id, id)));
  return row;
}

export async function recordingRenditionsOf(db: QueryDatabase, tenantId: string, id: string): Promise<RenditionRow[]> {
  return db
    .select()
    .from(recordingRenditions)
    .where(and(eq(recordingRenditions.tenantId, tenantId), eq(recordingRenditions.recordingId, id)))
    .orderBy(recordingRenditions.kind, recordingRenditions.objectKey);
}

/** Deletes the row (segments and renditions cascade); only a recording that no longer captures. */
export async function deleteRecordingRow(db: QueryDatabase, tenantId: string, id: string): Promise<boolean> {
  const deleted = await db
    .delete(recordings)
    .where(and(eq(recordings.tenantId, tenantId), eq(recordings.id, id), sql`${recordings.status} in ('processing', 'ready', 'failed')`))
    .returning({ id: recordings.id });
  return deleted.length > 0;
}

export async function readRetentionDays(db: QueryDatabase, tenantId: string): Promise<number | null> {
  const [row] = await db.select().from(tenantRecordingPolicies).where(eq(tenantRecordingPolicies.tenantId, tenantId));
  return row?.retentionDays ?? null;
}

export async function writeRetentionDays(db: QueryDatabase, tenantId: string, retentionDays: number | null): Promise<void> {
  await db
    .insert(tenantRecordingPolicies)
    .values({ tenantId, retentionDays })
    .onConflictDoUpdate({ target: tenantRecordingPolicies.tenantId, set: { retentionDays, updatedAt: new Date() } });
}

/**
 * Finished recordings past their tenant's retention, oldest first, across tenants (the scheduled job's read; each
 * row carries its tenant and every later call is scoped to it).
 */
export async function expiredRecordings(db: QueryDatabase, now: Date, limit: number): Promise<Pick<RecordingRow, "tenantId" | "id">[]> {
  return db
    .select({ tenantId: recordings.tenantId, id: recordings.id })
    .from(recordings)
    .innerJoin(tenantRecordingPolicies, eq(tenantRecordingPolicies.tenantId, recordings.tenantId))
    .where(
      and(
        sql`${recordings.status} in ('ready', 'failed')`,
        sql`${recordings.createdAt} < ${now.toISOString()}::timestamptz - make_interval(days => ${tenantRecordingPolicies.retentionDays})`,
      ),
    )
    .orderBy(recordings.createdAt)
    .limit(limit);
}

/** Recordings stuck in `processing` (no report since) whose compositing should be asked for again. */
export async function staleProcessing(
  db: QueryDatabase,
  olderThan: Date,
  limit: number,
): Promise<Pick<RecordingRow, "tenantId" | "id" | "manifestKey">[]> {
  return db
    .select({ tenantId: recordings.tenantId, id: recordings.id, manifestKey: recordings.manifestKey })
    .from(recordings)
    .where(and(eq(recordings.status, "processing"), lt(recordings.endedAt, olderThan)))
    .orderBy(recordings.endedAt)
    .limit(limit);
}
