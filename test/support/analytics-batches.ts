import { randomUUID } from "node:crypto";
import type { AnalyticsBatch, AnalyticsEvent, AnalyticsSample, AnalyticsSession } from "../../protocol/analytics-batch.ts";
import { sampleQuality } from "../../protocol/call-quality.ts";
import type { TrackSample } from "../../protocol/quality-telemetry.ts";
import { seededRandom } from "../../media-fleet/autoscale/seeded-random.ts";

/**
 * Analytics batches as a meeting room sends them (records stamped and rated with the room's own E-model), with
 * figures from a seeded generator so a run is repeatable. For the ingestion function's tests and its benchmark.
 */

export interface BatchOptions {
  tenantId?: string;
  meetingId?: string;
  batchId?: string;
  region?: string;
  createdAt?: number;
  samples?: number;
  events?: number;
  sessions?: number;
  participants?: number;
  droppedSamples?: number;
  /** Records are received over this span before createdAt (default 10 s, as the room closes a batch). */
  spanMs?: number;
  seed?: number;
}

export type MadeBatch = Omit<AnalyticsBatch, "samples" | "events" | "sessions"> & {
  samples: AnalyticsSample[];
  events: AnalyticsEvent[];
  sessions: AnalyticsSession[];
};

export function makeBatch(options: BatchOptions = {}): MadeBatch {
  const random = seededRandom(options.seed ?? 1);
  const createdAt = options.createdAt ?? Date.now();
  const spanMs = options.spanMs ?? 10_000;
  const participants = options.participants ?? 20;
  const who = (i: number) => `user-${i % participants}`;
  const receivedAt = () => createdAt - Math.floor(random() * spanMs);
  const samples = Array.from({ length: options.samples ?? 200 }, (_, i) => makeSample(random, who(i), receivedAt()));
  const events = Array.from({ length: options.events ?? 0 }, (_, i) => makeEvent(random, who(i), receivedAt()));
  const sessions = Array.from({ length: options.sessions ?? 0 }, (_, i): AnalyticsSession => {
    const leftAt = receivedAt();
    return { sessionId: randomUUID(), participant: who(i), joinedAt: leftAt - Math.floor(random() * 3 * 3_600_000), leftAt };
  });
  return {
    batchId: options.batchId ?? randomUUID(),
    createdAt,
    tenantId: (options.tenantId ?? randomUUID()) as AnalyticsBatch["tenantId"],
    meetingId: (options.meetingId ?? randomUUID()) as AnalyticsBatch["meetingId"],
    region: options.region ?? "local-a",
    droppedSamples: options.droppedSamples ?? 0,
    samples,
    events,
    sessions,
  };
}

export function makeSample(random: () => number, participant: string, receivedAt: number): AnalyticsSample {
  const rtt = 20 + random() * 300;
  const jitter = random() * 40;
  const track = (direction: TrackSample["direction"], kind: TrackSample["kind"]): TrackSample => {
    const packets = kind === "audio" ? 250 : 400 + Math.floor(random() * 400);
    const base: TrackSample = {
      direction,
      kind,
      rttMs: direction === "outbound" || random() < 0.8 ? Math.round(rtt * 10) / 10 : null,
      jitterMs: Math.round(jitter * 10) / 10,
      packetsLost: random() < 0.7 ? 0 : Math.floor(random() * packets * 0.1),
      packets,
      bitrateKbps: kind === "audio" ? 32 : 300 + Math.floor(random() * 1200),
    };
    return kind === "video"
      ? {
          ...base,
          width: 1280,
          height: 720,
          frameRate: 20 + Math.floor(random() * 10),
          expectedFrameRate: 30,
          framesDropped: Math.floor(random() * 5),
          framesDecoded: 140,
          nackCount: Math.floor(random() * 4),
          pliCount: 0,
        }
      : base;
  };
  const tracks = [track("outbound", "audio"), track("inbound", "audio"), track("inbound", "video")];
  const rated = sampleQuality(tracks);
  return {
    sampleId: randomUUID(),
    windowMs: 5000,
    path: random() < 0.5 ? "sfu" : "p2p",
    candidateType: random() < 0.2 ? "relay" : "srflx",
    sfuQuality: random() < 0.5 ? "good" : undefined,
    tracks,
    participant,
    receivedAt,
    mos: rated?.mos ?? null,
    quality: rated?.quality ?? null,
  };
}

export function makeEvent(random: () => number, participant: string, receivedAt: number): AnalyticsEvent {
  const stamped = { participant, receivedAt, eventId: randomUUID(), path: "sfu" as const };
  const pick = random();
  if (pick < 0.4) {
    return {
      ...stamped,
      kind: "join_timing",
      tokenMs: 40 + random() * 100,
      socketMs: 50 + random() * 200,
      firstMediaMs: random() < 0.2 ? null : 200 + random() * 800,
    };
  }
  if (pick < 0.8) {
    return { ...stamped, kind: "connection_outcome", outcome: random() < 0.9 ? "joined" : "failed_ice", elapsedMs: 300 + random() * 2000 };
  }
  return { ...stamped, kind: "drop", cause: "ice_disconnected" };
}
