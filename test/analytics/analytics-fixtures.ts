import { expect } from "vitest";
import type { AnalyticsBatch, IngestResult } from "../../protocol/analytics-batch.ts";
import { analyticsIngestFunction } from "../../scripts/services/lambda.ts";
import { LocalLambda } from "../support/lambda.ts";

/**
 * Call-quality records for the analytics API tests, stored the way production stores them: as the meeting room's
 * batches, through the ingestion function (which creates the day partitions and keeps the rollups).
 */

const at = (iso: string) => Date.parse(iso);

export interface BatchInput {
  tenantId: string;
  meetingId: string;
  region: string;
  createdAt: string;
  droppedSamples?: number;
  samples?: SampleInput[];
  events?: EventInput[];
  sessions?: { participant: string; joinedAt: string; leftAt: string }[];
}

export interface SampleInput {
  participant: string;
  at: string;
  mos: number | null;
  quality: "excellent" | "good" | "poor" | "lost" | null;
  tracks: {
    direction: "inbound" | "outbound";
    kind: "audio" | "video";
    rttMs?: number | null;
    jitterMs?: number | null;
    packets: number;
    packetsLost: number;
  }[];
}

export type EventInput =
  | { participant: string; at: string; kind: "join_timing"; tokenMs: number; socketMs: number; firstMediaMs: number | null }
  | {
      participant: string;
      at: string;
      kind: "connection_outcome";
      outcome: "joined" | "failed_ice" | "failed_sfu" | "gave_up";
      elapsedMs: number;
    }
  | { participant: string; at: string; kind: "drop"; cause: "socket_closed" | "ice_disconnected" | "ice_failed" | "sfu_disconnected" };

export function batchOf(input: BatchInput): AnalyticsBatch {
  return {
    batchId: crypto.randomUUID(),
    createdAt: at(input.createdAt),
    tenantId: input.tenantId as AnalyticsBatch["tenantId"],
    meetingId: input.meetingId as AnalyticsBatch["meetingId"],
    region: input.region,
    droppedSamples: input.droppedSamples ?? 0,
    samples: (input.samples ?? []).map((s) => ({
      sampleId: crypto.randomUUID(),
      windowMs: 5000,
      path: "sfu",
      participant: s.participant,
      receivedAt: at(s.at),
      mos: s.mos,
      quality: s.quality,
      tracks: s.tracks,
    })),
    events: (input.events ?? []).map(({ at: time, ...event }) => ({
      ...event,
      eventId: crypto.randomUUID(),
      path: "sfu",
      receivedAt: at(time),
    })),
    sessions: (input.sessions ?? []).map((s) => ({
      sessionId: crypto.randomUUID(),
      participant: s.participant,
      joinedAt: at(s.joinedAt),
      leftAt: at(s.leftAt),
    })),
  };
}

/** Invokes the ingestion function (its second emulator: the Worker's rooms invoke the first) and checks every record was stored. */
export async function ingest(input: BatchInput): Promise<void> {
  const batch = batchOf(input);
  const lambda = new LocalLambda(analyticsIngestFunction);
  try {
    const { payload, functionError } = await lambda.invoke<IngestResult>(batch, { emulator: 1 });
    expect(functionError, JSON.stringify(payload)).toBeUndefined();
    expect(payload).toMatchObject({
      ok: true,
      stored: { samples: batch.samples.length, events: batch.events.length, sessions: batch.sessions.length },
      rejected: [],
    });
  } finally {
    lambda.destroy();
  }
}
