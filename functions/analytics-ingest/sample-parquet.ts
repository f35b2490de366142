import { type ColumnSource, parquetWriteBuffer } from "hyparquet-writer";
import type { AnalyticsSample } from "../../protocol/analytics-batch.ts";
import type { TrackSample } from "../../protocol/quality-telemetry.ts";
import type { BatchIdentity } from "./normalize.ts";

/**
 * The raw samples as Parquet: one row per track per sample, every figure the track carried, beside the sample's
 * stamped fields and its rating. A sample without tracks is one row with empty track columns, so the file holds
 * every sample Postgres counted. Pure (hyparquet-writer is plain JS: no I/O, snappy built in).
 *
 * The Hive keys are `tenant`, `date` and `hour`; no column has those names (DuckDB lets a key silently replace a
 * same-named column, type included). `tenant_id` and `received_at` carry the same facts under their own names,
 * so a file copied out of its prefix still says whose it is.
 */

type Kind = "UUID" | "STRING" | "TIMESTAMP" | "INT32" | "DOUBLE";

interface TrackRow {
  identity: BatchIdentity;
  sample: AnalyticsSample;
  trackIndex: number | null;
  track: TrackSample | null;
}

interface Column {
  name: string;
  type: Kind;
  required?: true;
  value: (row: TrackRow) => string | number | Date | null;
}

const fromTrack =
  (figure: (t: TrackSample) => number | string | null | undefined) =>
  (row: TrackRow): number | string | null =>
    row.track ? (figure(row.track) ?? null) : null;

/** The file's schema, in column order. */
export const sampleColumns: readonly Column[] = [
  { name: "tenant_id", type: "UUID", required: true, value: (r) => r.identity.tenantId },
  { name: "meeting_id", type: "UUID", required: true, value: (r) => r.identity.meetingId },
  { name: "region", type: "STRING", required: true, value: (r) => r.identity.region },
  { name: "batch_id", type: "UUID", required: true, value: (r) => r.identity.batchId },
  { name: "sample_id", type: "UUID", required: true, value: (r) => r.sample.sampleId },
  { name: "participant", type: "STRING", required: true, value: (r) => r.sample.participant },
  { name: "received_at", type: "TIMESTAMP", required: true, value: (r) => new Date(r.sample.receivedAt) },
  { name: "window_ms", type: "INT32", required: true, value: (r) => r.sample.windowMs },
  { name: "path", type: "STRING", required: true, value: (r) => r.sample.path },
  { name: "candidate_type", type: "STRING", value: (r) => r.sample.candidateType ?? null },
  { name: "sfu_quality", type: "STRING", value: (r) => r.sample.sfuQuality ?? null },
  { name: "mos", type: "DOUBLE", value: (r) => r.sample.mos },
  { name: "quality", type: "STRING", value: (r) => r.sample.quality },
  { name: "track", type: "INT32", value: (r) => r.trackIndex },
  { name: "direction", type: "STRING", value: fromTrack((t) => t.direction) },
  { name: "kind", type: "STRING", value: fromTrack((t) => t.kind) },
  { name: "rtt_ms", type: "DOUBLE", value: fromTrack((t) => t.rttMs) },
  { name: "jitter_ms", type: "DOUBLE", value: fromTrack((t) => t.jitterMs) },
  { name: "packets", type: "INT32", value: fromTrack((t) => t.packets) },
  { name: "packets_lost", type: "INT32", value: fromTrack((t) => t.packetsLost) },
  { name: "bitrate_kbps", type: "DOUBLE", value: fromTrack((t) => t.bitrateKbps) },
  { name: "width", type: "INT32", value: fromTrack((t) => t.width) },
  { name: "height", type: "INT32", value: fromTrack((t) => t.height) },
  { name: "frame_rate", type: "DOUBLE", value: fromTrack((t) => t.frameRate) },
  { name: "expected_frame_rate", type: "DOUBLE", value: fromTrack((t) => t.expectedFrameRate) },
  { name: "frames_dropped", type: "INT32", value: fromTrack((t) => t.framesDropped) },
  { name: "frames_decoded", type: "INT32", value: fromTrack((t) => t.framesDecoded) },
  { name: "nack_count", type: "INT32", value: fromTrack((t) => t.nackCount) },
  { name: "pli_count", type: "INT32", value: fromTrack((t) => t.pliCount) },
];

export function trackRows(identity: BatchIdentity, samples: readonly AnalyticsSample[]): TrackRow[] {
  return samples.flatMap((sample): TrackRow[] =>
    sample.tracks.length === 0
      ? [{ identity, sample, trackIndex: null, track: null }]
      : sample.tracks.map((track, trackIndex) => ({ identity, sample, trackIndex, track })),
  );
}

/** The samples' Parquet file, byte for byte the same for the same samples (a retry rewrites the same object). */
export function encodeSamples(identity: BatchIdentity, samples: readonly AnalyticsSample[]): Uint8Array {
  const rows = trackRows(identity, samples);
  // UUIDs as their 16 bytes, each distinct id converted once (the writer would parse every row's string again).
  const uuids = new Map<string, Uint8Array>();
  const bytesOf = (id: string) => uuids.get(id) ?? uuids.set(id, uuidBytes(id)).get(id)!;
  const columnData: ColumnSource[] = sampleColumns.map((column) => ({
    name: column.name,
    type: column.type,
    nullable: !column.required,
    data: column.type === "UUID" ? rows.map((row) => bytesOf(column.value(row) as string)) : rows.map(column.value),
  }));
  // One row group: a batch's file is small, and readers then need a single footer read.
  return new Uint8Array(
    parquetWriteBuffer({
      columnData,
      codec: "SNAPPY",
      rowGroupSize: Math.max(1, rows.length),
      createdBy: "edge-meetings analytics-ingest",
    }),
  );
}

/** A (validated) UUID's 16 bytes. */
export function uuidBytes(id: string): Uint8Array {
  const hex = id.replaceAll("-", "");
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 16; i++) bytes[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}
