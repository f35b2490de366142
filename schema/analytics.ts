import { bigint, doublePrecision, integer, pgTable, primaryKey, real, smallint, text, uuid } from "drizzle-orm/pg-core";
import { tenantId, timestamptz } from "./columns.ts";

/**
 * Call-quality analytics (functions/analytics-ingest writes them; /v1/analytics reads them). Every table is
 * range-partitioned by day on its time column (PARTITION BY RANGE in the migration; drizzle has no syntax for
 * it), so a day's data is one partition to scan, detach or drop. Partitions are created ahead by the function.
 * No foreign keys: a partitioned fact table must accept a batch for a meeting whose row it cannot lock cheaply,
 * and the rows are only ever read by tenant.
 *
 * Each primary key leads with the tenant and includes the partition column (Postgres requires it). The raw
 * samples (every track's figures) are in Parquet on S3; Postgres keeps one summary row per sample, which is also
 * what makes a batch delivered twice count once (ON CONFLICT DO NOTHING).
 */

/** One row per quality sample: the participant's figures summarised over its tracks. */
export const analyticsSamples = pgTable(
  "analytics_samples",
  {
    tenantId: tenantId(),
    /** The room's receive time: the partition key, the same on every retry of the batch. */
    receivedAt: timestamptz("received_at").notNull(),
    sampleId: uuid("sample_id").notNull(),
    meetingId: uuid("meeting_id").notNull(),
    region: text("region").notNull(),
    participant: text("participant").notNull(),
    batchId: uuid("batch_id").notNull(),
    path: text("path").notNull(),
    candidateType: text("candidate_type"),
    sfuQuality: text("sfu_quality"),
    mos: real("mos"),
    quality: text("quality"),
    windowMs: integer("window_ms").notNull(),
    /** Worst round trip and jitter over the sample's tracks (null: none measured). */
    rttMs: real("rtt_ms"),
    jitterMs: real("jitter_ms"),
    packets: bigint("packets", { mode: "number" }).notNull(),
    packetsLost: bigint("packets_lost", { mode: "number" }).notNull(),
    inboundKbps: real("inbound_kbps"),
    outboundKbps: real("outbound_kbps"),
    framesDropped: integer("frames_dropped"),
    tracks: smallint("tracks").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.receivedAt, t.sampleId] })],
);

/** Join timing, connection outcomes and drops, one row each. */
export const analyticsEvents = pgTable(
  "analytics_events",
  {
    tenantId: tenantId(),
    receivedAt: timestamptz("received_at").notNull(),
    eventId: uuid("event_id").notNull(),
    meetingId: uuid("meeting_id").notNull(),
    region: text("region").notNull(),
    participant: text("participant").notNull(),
    batchId: uuid("batch_id").notNull(),
    /** join_timing | connection_outcome | drop */
    kind: text("kind").notNull(),
    path: text("path").notNull(),
    /** connection_outcome: joined | failed_ice | failed_sfu | gave_up */
    outcome: text("outcome"),
    /** drop: socket_closed | ice_disconnected | ice_failed | sfu_disconnected */
    cause: text("cause"),
    tokenMs: real("token_ms"),
    socketMs: real("socket_ms"),
    firstMediaMs: real("first_media_ms"),
    /** join_timing: token + socket + first media (the join as the user waits for it); outcome: elapsed. */
    totalMs: real("total_ms"),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.receivedAt, t.eventId] })],
);

/** A participant's time in a meeting, sent by the room when they leave. Partitioned by the leave. */
export const analyticsSessions = pgTable(
  "analytics_sessions",
  {
    tenantId: tenantId(),
    leftAt: timestamptz("left_at").notNull(),
    sessionId: uuid("session_id").notNull(),
    meetingId: uuid("meeting_id").notNull(),
    region: text("region").notNull(),
    participant: text("participant").notNull(),
    batchId: uuid("batch_id").notNull(),
    joinedAt: timestamptz("joined_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.leftAt, t.sessionId] })],
);

/**
 * The hourly rollup per tenant, meeting and region: sums and counts from which every key metric is a ratio
 * (averages = sum / count). Kept by the function in the statement that stores the new rows, from those rows only,
 * so a duplicate adds nothing.
 */
export const analyticsHourly = pgTable(
  "analytics_hourly",
  {
    tenantId: tenantId(),
    hour: timestamptz("hour").notNull(),
    meetingId: uuid("meeting_id").notNull(),
    region: text("region").notNull(),
    samples: integer("samples").notNull().default(0),
    /** Samples that carried a MOS, their sum, and the MOS distribution in ITU-T G.107's satisfaction bands. */
    mosSamples: integer("mos_samples").notNull().default(0),
    mosSum: doublePrecision("mos_sum").notNull().default(0),
    /** ≥ 4.3 very satisfied, ≥ 4.0 satisfied, ≥ 3.6 some dissatisfied, ≥ 3.1 many dissatisfied, below: nearly all. */
    mosBand1: integer("mos_band_1").notNull().default(0),
    mosBand2: integer("mos_band_2").notNull().default(0),
    mosBand3: integer("mos_band_3").notNull().default(0),
    mosBand4: integer("mos_band_4").notNull().default(0),
    mosBand5: integer("mos_band_5").notNull().default(0),
    rttSamples: integer("rtt_samples").notNull().default(0),
    rttSumMs: doublePrecision("rtt_sum_ms").notNull().default(0),
    jitterSamples: integer("jitter_samples").notNull().default(0),
    jitterSumMs: doublePrecision("jitter_sum_ms").notNull().default(0),
    packets: bigint("packets", { mode: "number" }).notNull().default(0),
    packetsLost: bigint("packets_lost", { mode: "number" }).notNull().default(0),
    /** connection_outcome events: all, and those that ended `joined`. */
    connectionAttempts: integer("connection_attempts").notNull().default(0),
    connectionsJoined: integer("connections_joined").notNull().default(0),
    joinTimings: integer("join_timings").notNull().default(0),
    joinMsSum: doublePrecision("join_ms_sum").notNull().default(0),
    drops: integer("drops").notNull().default(0),
    sessions: integer("sessions").notNull().default(0),
    /** Participant time in this hour (a session spanning hours is split across them). */
    participantSeconds: doublePrecision("participant_seconds").notNull().default(0),
    /** Samples the room dropped before ingestion (its storage bound was reached while ingestion was down). */
    samplesDropped: integer("samples_dropped").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.hour, t.meetingId, t.region] })],
);

/** Who was active (sampled, had an event, or a session) in a meeting in an hour: active users, exactly. */
export const analyticsActiveParticipants = pgTable(
  "analytics_active_participants",
  {
    tenantId: tenantId(),
    hour: timestamptz("hour").notNull(),
    meetingId: uuid("meeting_id").notNull(),
    participant: text("participant").notNull(),
    region: text("region").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.hour, t.meetingId, t.participant] })],
);

/** One row per batch stored: the ledger of what arrived, what it held and where its Parquet objects are. */
export const analyticsBatches = pgTable(
  "analytics_batches",
  {
    tenantId: tenantId(),
    /** The room's close time of the batch: the partition key, the same on every delivery. */
    createdAt: timestamptz("created_at").notNull(),
    batchId: uuid("batch_id").notNull(),
    meetingId: uuid("meeting_id").notNull(),
    region: text("region").notNull(),
    samples: integer("samples").notNull(),
    events: integer("events").notNull(),
    sessions: integer("sessions").notNull(),
    rejected: integer("rejected").notNull(),
    droppedSamples: integer("dropped_samples").notNull(),
    objects: text("objects").array().notNull(),
    ingestedAt: timestamptz("ingested_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.createdAt, t.batchId] })],
);
