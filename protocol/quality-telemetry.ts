import { z } from "zod";
import { ConnectionQuality } from "./call-quality.ts";

/**
 * What a participant measures about its own call and sends to the room: a `quality_sample` every 5 s (from
 * `getStats()`) and a `quality_event` for each join, connection outcome and drop. One definition: the client
 * frames, the room's analytics batches and the ingestion function all use these schemas.
 */

const millis = z.number().min(0).max(600_000);

export const MediaPath = z.enum(["p2p", "sfu"]);
export type MediaPath = z.infer<typeof MediaPath>;

export const CandidateType = z.enum(["host", "srflx", "prflx", "relay"]);
export type CandidateType = z.infer<typeof CandidateType>;

/** One inbound or outbound RTP stream over the sample's window (counts are the window's, not totals). */
export const TrackSample = z.object({
  direction: z.enum(["inbound", "outbound"]),
  kind: z.enum(["audio", "video"]),
  rttMs: z.number().min(0).max(60_000).nullable().optional(),
  jitterMs: z.number().min(0).max(60_000).nullable().optional(),
  packetsLost: z.number().int().min(0).max(10_000_000),
  /** Received (inbound) or sent (outbound) in the window. */
  packets: z.number().int().min(0).max(10_000_000),
  bitrateKbps: z.number().min(0).max(1_000_000).optional(),
  width: z.number().int().min(0).max(16_384).optional(),
  height: z.number().int().min(0).max(16_384).optional(),
  frameRate: z.number().min(0).max(1000).nullable().optional(),
  /** What the sender aimed for (video): the frame rate is judged against it. */
  expectedFrameRate: z.number().min(0).max(1000).nullable().optional(),
  framesDropped: z.number().int().min(0).max(10_000_000).optional(),
  framesDecoded: z.number().int().min(0).max(10_000_000).optional(),
  nackCount: z.number().int().min(0).max(10_000_000).optional(),
  pliCount: z.number().int().min(0).max(10_000_000).optional(),
});
export type TrackSample = z.infer<typeof TrackSample>;

/** The measured part of a `quality_sample` frame. */
export const QualitySampleFigures = z.object({
  /** Chosen by the client, so a sample sent twice (a reconnect) is stored once. */
  sampleId: z.uuid(),
  /** The window the figures cover (the page samples every 5 s). */
  windowMs: z.number().int().min(1000).max(60_000),
  path: MediaPath,
  candidateType: CandidateType.optional(),
  /** On the SFU path: LiveKit's own connection quality for this participant, for comparison with ours. */
  sfuQuality: ConnectionQuality.optional(),
  tracks: z.array(TrackSample).max(64),
});
export type QualitySampleFigures = z.infer<typeof QualitySampleFigures>;

/** Where a connection attempt ended. */
export const ConnectionOutcome = z.enum(["joined", "failed_ice", "failed_sfu", "gave_up"]);
export type ConnectionOutcome = z.infer<typeof ConnectionOutcome>;

/** Join timing, connection outcome and drops: events of their own, not averaged into samples. */
export const QualityEventFigures = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("join_timing"),
    eventId: z.uuid(),
    path: MediaPath,
    /** Token request sent → token in hand. */
    tokenMs: millis,
    /** Token in hand → socket open → welcome. */
    socketMs: millis,
    /** Welcome → first remote audio or video frame (null: alone in the meeting, nothing to receive). */
    firstMediaMs: millis.nullable(),
  }),
  z.object({
    kind: z.literal("connection_outcome"),
    eventId: z.uuid(),
    path: MediaPath,
    outcome: ConnectionOutcome,
    /** How long the attempt took until it ended either way. */
    elapsedMs: millis,
  }),
  z.object({
    kind: z.literal("drop"),
    eventId: z.uuid(),
    path: MediaPath,
    cause: z.enum(["socket_closed", "ice_disconnected", "ice_failed", "sfu_disconnected"]),
  }),
]);
export type QualityEventFigures = z.infer<typeof QualityEventFigures>;
export type QualityEventKind = QualityEventFigures["kind"];
