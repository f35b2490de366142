import { RoomAnalyticsStatus } from "../../../protocol/room-contract.ts";
import { z } from "@hono/zod-openapi";
import { ConnectionQuality } from "../../../protocol/call-quality.ts";
import { isStorableLine, storableTextMessage } from "../../../protocol/text.ts";
import { maxRangeDays } from "../../analytics/core/analytics-range.ts";
import { mosBandNames } from "../../analytics/core/mos-bands.ts";
import { pageQueryFields } from "./page-query.ts";

const dateTime = z.iso.datetime({ offset: true });
const query = <T extends z.ZodType>(schema: T, name: string, description?: string) =>
  schema.openapi({ param: { name, in: "query" }, ...(description ? { description } : {}) });

const rangeFields = {
  from: query(dateTime, "from", "Start of the range, rounded down to the hour (UTC)"),
  to: query(dateTime, "to", `End of the range (exclusive), rounded up to the hour; at most ${maxRangeDays} days after from`),
};
const filterFields = {
  meetingId: query(z.uuid().toLowerCase().optional(), "meetingId", "Only this meeting (404 if it is not the tenant's)"),
  // Text Postgres can compare: a NUL would fail the query (500) instead of matching nothing.
  region: query(z.string().min(1).max(64).refine(isStorableLine, storableTextMessage).optional(), "region", "Only this media region"),
};

export const AnalyticsSummaryQuery = z.object({ ...rangeFields, ...filterFields });
export const AnalyticsRegionsQuery = z.object(rangeFields);
export const AnalyticsHourlyQuery = z.object({
  ...rangeFields,
  ...filterFields,
  limit: pageQueryFields.limit,
  // Longer than the other listings' cursors: it carries the region, which is free text.
  cursor: query(z.string().max(1024).optional(), "cursor", "The `nextCursor` of the previous page"),
});

const ratio = (description: string) =>
  z
    .number()
    .nullable()
    .openapi({ description: `${description}; null when there is none` });
const count = (description: string) => z.number().int().openapi({ description });

export const CallQualityMetricsSchema = z
  .object({
    connections: z.object({
      attempts: count("Connection attempts that ended (connection_outcome events)"),
      joined: count("…of which ended `joined`"),
      successRate: ratio("Connection success rate: joined / attempts"),
    }),
    joinTime: z.object({
      timings: count("join_timing events: token request → token, socket open → welcome, welcome → first remote media"),
      meanMs: ratio("Mean join time (the three steps summed), ms"),
      p50Ms: ratio("Median join time, ms: exact (percentile_cont over every join_timing event of the scope)"),
      p95Ms: ratio("95th percentile join time, ms, exact likewise"),
    }),
    packetLoss: z.object({
      packets: count("Packets received (inbound tracks) or sent (outbound) over every sample's window"),
      packetsLost: count("Packets lost over the same windows"),
      rate: ratio("Packet loss: lost / (packets + lost)"),
    }),
    jitter: z.object({
      samples: count("Samples that measured jitter"),
      meanMs: ratio("Mean jitter, ms (each sample's worst track)"),
    }),
    rtt: z.object({
      samples: count("Samples that measured a round trip"),
      meanMs: ratio("Mean round-trip time, ms (each sample's worst track)"),
    }),
    mos: z.object({
      samples: count("Samples the room rated (a sample with no tracks has no MOS)"),
      mean: ratio("Mean MOS (1–4.5, the E-model of protocol/call-quality.ts: the score the roster showed)"),
      distribution: z
        .array(
          z.object({
            band: z.enum(mosBandNames),
            minMos: z.number().openapi({ description: "The band is MOS ≥ minMos and below the previous band's minMos" }),
            samples: count("Rated samples in the band"),
            share: ratio("samples / all rated samples"),
          }),
        )
        .openapi({ description: "ITU-T G.107's satisfaction bands, best first: ≥ 4.3, ≥ 4.0, ≥ 3.6, ≥ 3.1, below" }),
    }),
    drops: z.object({
      count: count("Drops: a socket closed, ICE disconnected or failed, or the SFU connection lost"),
      sessions: count("Participant sessions that ended (by their leave time)"),
      perParticipantHour: ratio("Drops per participant-hour: drops / (participantSeconds / 3600)"),
      perSession: ratio("Drops per session: drops / sessions"),
    }),
    callDuration: z.object({
      sessions: count("Participant sessions that ended in the scope"),
      meanSessionSeconds: ratio("Mean session length: leave − join, over those sessions"),
      meetings: count("Meetings with a session that ended in the scope"),
      meanMeetingSeconds: ratio("Mean meeting length: per meeting, its last leave − its first join over those sessions"),
    }),
    participantSeconds: z
      .number()
      .openapi({ description: "Participant time in the scope's hours (a session is split across the hours it spans)" }),
    meetingMinutes: z.number().openapi({ description: "Meeting minutes: participantSeconds / 60" }),
    activeUsers: count("Active users: distinct participants (identities) sampled, with an event or a session in the scope"),
    samples: count("Quality samples stored (one per participant every 5 s)"),
    samplesDropped: count("Samples meeting rooms dropped before ingestion (their storage bound reached while ingestion was down)"),
  })
  .openapi("CallQualityMetrics", {
    description: "Counts and sums of nothing are 0; a ratio, mean or percentile with nothing under it is null",
  });

const rangeView = {
  from: z.string().openapi({ description: "The range read, on the hour" }),
  to: z.string().openapi({ description: "Exclusive, on the hour" }),
};

export const AnalyticsSummarySchema = z
  .object({
    ...rangeView,
    meetingId: z.uuid().nullable(),
    region: z.string().nullable(),
    metrics: CallQualityMetricsSchema,
  })
  .openapi("AnalyticsSummary");

export const AnalyticsHourlyPageSchema = z
  .object({
    ...rangeView,
    data: z.array(
      z.object({
        hour: z.string().openapi({ description: "Start of the UTC hour" }),
        meetingId: z.uuid(),
        region: z.string(),
        metrics: CallQualityMetricsSchema,
      }),
    ),
    nextCursor: z.string().nullable().openapi({ description: "Pass as `cursor` for the next page; null on the last" }),
  })
  .openapi("AnalyticsHourlyPage", { description: "One row per hour, meeting and region, ordered by (hour, meetingId, region)" });

const RegionMetricsSchema = z.object({ region: z.string(), metrics: CallQualityMetricsSchema });

export const AnalyticsRegionsSchema = z.object({ ...rangeView, data: z.array(RegionMetricsSchema) }).openapi("AnalyticsRegions");

export const ParticipantMetricsSchema = z
  .object({
    participant: z.string().openapi({ description: "The identity the participant joined with" }),
    samples: count("Quality samples"),
    mosMean: ratio("Mean MOS of the rated samples"),
    worstQuality: ConnectionQuality.nullable().openapi({ description: "The worst level any sample was rated; null when none was" }),
    rttMeanMs: ratio("Mean round-trip time, ms"),
    jitterMeanMs: ratio("Mean jitter, ms"),
    packetLoss: ratio("lost / (packets + lost) over the participant's samples"),
    drops: count("Drops"),
    sessions: count("Sessions (joins) that ended"),
    secondsInMeeting: z.number().openapi({ description: "Time in the meeting: the sum of the sessions' leave − join" }),
  })
  .openapi("AnalyticsParticipant");

export const MeetingAnalyticsSchema = z
  .object({
    meetingId: z.uuid(),
    ...rangeView,
    metrics: CallQualityMetricsSchema,
    regions: z.array(RegionMetricsSchema).openapi({ description: "The same metrics per media region the meeting used" }),
    participants: z.array(ParticipantMetricsSchema).openapi({ description: "Everyone active in the meeting, by identity" }),
    // A copy made here: zod 4 gives a schema its methods when it is made, and protocol/ may make this one before
    // @hono/zod-openapi has added `.openapi`.
    ingestion: RoomAnalyticsStatus.extend({}).openapi("MeetingAnalyticsIngestion", {
      description:
        "The meeting room's queue toward the ingestion function, live: records not yet sent, batches waiting (ingestion down), samples dropped at the room's bound, batches set aside",
    }),
  })
  .openapi("MeetingAnalytics", {
    description: `Read over the meeting's life: from the hour it was created to an hour after it ended (or now), its last ${maxRangeDays} days at most`,
  });
