import type { AnalyticsEvent, AnalyticsSample, AnalyticsSession } from "../../protocol/analytics-batch.ts";
import type { Envelope } from "./validate.ts";

/**
 * Records → the rows of schema/analytics.ts (times as ms since the epoch; the store turns them into timestamptz).
 * Pure. Ids are lower-cased: Postgres compares uuids without case, so two spellings are one record.
 */

/** Who a batch's rows belong to: the same on every row of one batch. */
export interface BatchIdentity {
  tenantId: string;
  meetingId: string;
  region: string;
  batchId: string;
}

export const identityOf = (envelope: Envelope): BatchIdentity => ({
  tenantId: envelope.tenantId.toLowerCase(),
  meetingId: envelope.meetingId.toLowerCase(),
  region: envelope.region,
  batchId: envelope.batchId.toLowerCase(),
});

/** analytics_samples: one sample summarised over its tracks. */
export interface SampleRow extends BatchIdentity {
  receivedAt: number;
  sampleId: string;
  participant: string;
  path: string;
  candidateType: string | null;
  sfuQuality: string | null;
  mos: number | null;
  quality: string | null;
  windowMs: number;
  /** The worst (highest) of the tracks that measured it. */
  rttMs: number | null;
  jitterMs: number | null;
  packets: number;
  packetsLost: number;
  /** Summed over the direction's tracks that reported a bitrate (null: none did). */
  inboundKbps: number | null;
  outboundKbps: number | null;
  framesDropped: number | null;
  tracks: number;
}

/** analytics_events: join timing, connection outcome or drop. */
export interface EventRow extends BatchIdentity {
  receivedAt: number;
  eventId: string;
  participant: string;
  kind: AnalyticsEvent["kind"];
  path: string;
  outcome: string | null;
  cause: string | null;
  tokenMs: number | null;
  socketMs: number | null;
  firstMediaMs: number | null;
  totalMs: number | null;
}

/** analytics_sessions: a participant's time in the meeting. */
export interface SessionRow extends BatchIdentity {
  leftAt: number;
  sessionId: string;
  participant: string;
  joinedAt: number;
}

export function sampleRow(identity: BatchIdentity, sample: AnalyticsSample): SampleRow {
  let rttMs: number | null = null;
  let jitterMs: number | null = null;
  let inboundKbps: number | null = null;
  let outboundKbps: number | null = null;
  let framesDropped: number | null = null;
  let packets = 0;
  let packetsLost = 0;
  for (const track of sample.tracks) {
    if (track.rttMs != null) rttMs = Math.max(rttMs ?? 0, track.rttMs);
    if (track.jitterMs != null) jitterMs = Math.max(jitterMs ?? 0, track.jitterMs);
    packets += track.packets;
    packetsLost += track.packetsLost;
    if (track.bitrateKbps !== undefined) {
      if (track.direction === "inbound") inboundKbps = (inboundKbps ?? 0) + track.bitrateKbps;
      else outboundKbps = (outboundKbps ?? 0) + track.bitrateKbps;
    }
    if (track.framesDropped !== undefined) framesDropped = (framesDropped ?? 0) + track.framesDropped;
  }
  return {
    ...identity,
    receivedAt: sample.receivedAt,
    sampleId: sample.sampleId.toLowerCase(),
    participant: sample.participant,
    path: sample.path,
    candidateType: sample.candidateType ?? null,
    sfuQuality: sample.sfuQuality ?? null,
    mos: sample.mos,
    quality: sample.quality,
    windowMs: sample.windowMs,
    rttMs,
    jitterMs,
    packets,
    packetsLost,
    inboundKbps,
    outboundKbps,
    framesDropped,
    tracks: sample.tracks.length,
  };
}

export function eventRow(identity: BatchIdentity, event: AnalyticsEvent): EventRow {
  const common = {
    ...identity,
    receivedAt: event.receivedAt,
    eventId: event.eventId.toLowerCase(),
    participant: event.participant,
    kind: event.kind,
    path: event.path,
    outcome: null,
    cause: null,
    tokenMs: null,
    socketMs: null,
    firstMediaMs: null,
    totalMs: null,
  };
  switch (event.kind) {
    case "join_timing":
      return {
        ...common,
        tokenMs: event.tokenMs,
        socketMs: event.socketMs,
        firstMediaMs: event.firstMediaMs,
        // The join as the user waits for it; alone in the meeting there is no first media to wait for.
        totalMs: event.tokenMs + event.socketMs + (event.firstMediaMs ?? 0),
      };
    case "connection_outcome":
      return { ...common, outcome: event.outcome, totalMs: event.elapsedMs };
    case "drop":
      return { ...common, cause: event.cause };
    default:
      return event satisfies never;
  }
}

export function sessionRow(identity: BatchIdentity, session: AnalyticsSession): SessionRow {
  return {
    ...identity,
    leftAt: session.leftAt,
    sessionId: session.sessionId.toLowerCase(),
    participant: session.participant,
    joinedAt: session.joinedAt,
  };
}
