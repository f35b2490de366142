import type pg from "pg";
import type { Rendition } from "../../../protocol/recording-composition.ts";

/**
 * The compositor's durable progress in Postgres: one `recording_segments` row per planned segment (its key, its
 * status, how many times an invocation started it) and the `recording_renditions` rows. Every write is an upsert
 * keyed as the table is, so a retried invocation finds what the last one did and adds no row.
 */

export type SegmentStatus = "pending" | "running" | "done" | "failed";

export interface PlannedSegment {
  index: number;
  key: string;
  frames: number;
}

export class SegmentProgress {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Records the plan and answers each segment's status. A row whose key changed (another plan: a track became
   * unusable) starts over as pending; rows beyond the plan's last segment are removed.
   */
  async plan(tenantId: string, recordingId: string, segments: readonly PlannedSegment[]): Promise<Map<number, SegmentStatus>> {
    const { rows } = await this.pool.query<{ index: number; status: SegmentStatus }>(
      `WITH removed AS (DELETE FROM recording_segments WHERE recording_id = $2 AND tenant_id = $1 AND index >= $6)
       INSERT INTO recording_segments AS s (tenant_id, recording_id, index, object_key, frames)
       SELECT $1, $2, i, k, f FROM unnest($3::int[], $4::text[], $5::int[]) AS u(i, k, f)
       ON CONFLICT (recording_id, index) DO UPDATE SET
         object_key = excluded.object_key, frames = excluded.frames,
         status = CASE WHEN s.object_key = excluded.object_key THEN s.status ELSE 'pending' END,
         attempts = CASE WHEN s.object_key = excluded.object_key THEN s.attempts ELSE 0 END,
         updated_at = CASE WHEN s.object_key = excluded.object_key THEN s.updated_at ELSE now() END
       RETURNING index, status`,
      [tenantId, recordingId, segments.map((s) => s.index), segments.map((s) => s.key), segments.map((s) => s.frames), segments.length],
    );
    return new Map(rows.map((r) => [r.index, r.status]));
  }

  /** Marks a segment running and counts the attempt; null when no such planned segment (with this key) exists. */
  async start(tenantId: string, recordingId: string, index: number, key: string): Promise<{ attempts: number } | null> {
    const { rows } = await this.pool.query<{ attempts: number }>(
      `UPDATE recording_segments SET status = 'running', attempts = attempts + 1, error = NULL, updated_at = now()
       WHERE tenant_id = $1 AND recording_id = $2 AND index = $3 AND object_key = $4 RETURNING attempts`,
      [tenantId, recordingId, index, key],
    );
    return rows[0] ?? null;
  }

  async finish(tenantId: string, recordingId: string, index: number, key: string): Promise<void> {
    await this.pool.query(
      `UPDATE recording_segments SET status = 'done', error = NULL, updated_at = now()
       WHERE tenant_id = $1 AND recording_id = $2 AND index = $3 AND object_key = $4`,
      [tenantId, recordingId, index, key],
    );
  }

  async fail(tenantId: string, recordingId: string, index: number, key: string, error: string): Promise<void> {
    await this.pool.query(
      `UPDATE recording_segments SET status = 'failed', error = $5, updated_at = now()
       WHERE tenant_id = $1 AND recording_id = $2 AND index = $3 AND object_key = $4`,
      [tenantId, recordingId, index, key, error.slice(0, 2000)],
    );
  }

  async saveRenditions(tenantId: string, recordingId: string, renditions: readonly Rendition[]): Promise<void> {
    await this.pool.query(
      `INSERT INTO recording_renditions (tenant_id, recording_id, kind, object_key, content_type, size_bytes, width, height, duration_ms)
       SELECT $1, $2, k::recording_rendition_kind, o, c, s, w, h, d
       FROM unnest($3::text[], $4::text[], $5::text[], $6::bigint[], $7::int[], $8::int[], $9::bigint[]) AS u(k, o, c, s, w, h, d)
       ON CONFLICT (recording_id, kind, object_key) DO UPDATE SET content_type = excluded.content_type,
         size_bytes = excluded.size_bytes, width = excluded.width, height = excluded.height, duration_ms = excluded.duration_ms`,
      [
        tenantId,
        recordingId,
        renditions.map((r) => r.kind),
        renditions.map((r) => r.objectKey),
        renditions.map((r) => r.contentType),
        renditions.map((r) => r.sizeBytes),
        renditions.map((r) => r.width),
        renditions.map((r) => r.height),
        renditions.map((r) => r.durationMs),
      ],
    );
  }
}
