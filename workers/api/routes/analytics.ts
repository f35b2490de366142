import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { checkAnalyticsRange, meetingRange, type AnalyticsRange } from "../../analytics/core/analytics-range.ts";
import { callQualityMetrics } from "../../analytics/core/call-quality-metrics.ts";
import { participantMetrics } from "../../analytics/core/participant-metrics.ts";
import { hourlyPage, scopeMetrics } from "../../analytics/analytics-repository.ts";
import { findMeetingSpan, meetingParticipants } from "../../analytics/meeting-analytics-repository.ts";
import { decodeHourlyCursor, encodeHourlyCursor } from "../../analytics/hourly-cursor.ts";
import { pageAfter, pageOf } from "../keyset-page.ts";
import type { AppEnv } from "../app-env.ts";
import { ApiError } from "../errors.ts";
import { validationHook } from "../middleware/validation-hook.ts";
import {
  AnalyticsHourlyPageSchema,
  AnalyticsHourlyQuery,
  AnalyticsRegionsQuery,
  AnalyticsRegionsSchema,
  AnalyticsSummaryQuery,
  AnalyticsSummarySchema,
  MeetingAnalyticsSchema,
} from "../schemas/analytics.ts";
import { MeetingIdParam } from "../schemas/meeting.ts";
import { json, security } from "../schemas/openapi-parts.ts";
import { problemResponses } from "../schemas/problem.ts";
import { requireUsageMeeting } from "./usage-scope.ts";
import { readRoomAnalyticsStatus } from "../../meeting-room/shell/meeting-room-client.ts";

const tags = ["Analytics"];

const summaryRoute = createRoute({
  method: "get",
  path: "/v1/analytics/summary",
  tags,
  security,
  summary: "The key call-quality metrics over a range, tenant-wide or for one meeting or region",
  request: { query: AnalyticsSummaryQuery },
  responses: { 200: { description: "The metrics", content: json(AnalyticsSummarySchema) }, ...problemResponses(400, 401, 404) },
});

const hourlyRoute = createRoute({
  method: "get",
  path: "/v1/analytics/hourly",
  tags,
  security,
  summary: "The metrics per hour, meeting and region, oldest first, keyset pages",
  request: { query: AnalyticsHourlyQuery },
  responses: {
    200: { description: "A page of hourly rows", content: json(AnalyticsHourlyPageSchema) },
    ...problemResponses(400, 401, 404),
  },
});

const regionsRoute = createRoute({
  method: "get",
  path: "/v1/analytics/regions",
  tags,
  security,
  summary: "The metrics per media region over a range",
  request: { query: AnalyticsRegionsQuery },
  responses: {
    200: { description: "One entry per region with data", content: json(AnalyticsRegionsSchema) },
    ...problemResponses(400, 401),
  },
});

const meetingRoute = createRoute({
  method: "get",
  path: "/v1/analytics/meetings/{id}",
  tags,
  security,
  summary: "A meeting's metrics: overall, per region and per participant",
  request: { params: MeetingIdParam },
  responses: { 200: { description: "The meeting's metrics", content: json(MeetingAnalyticsSchema) }, ...problemResponses(400, 401, 404) },
});

function requireRange(query: { from: string; to: string }): AnalyticsRange {
  const checked = checkAnalyticsRange(new Date(query.from), new Date(query.to));
  if (!checked.ok)
    throw new ApiError("validation_failed", `${checked.path} ${checked.message}`, [{ path: checked.path, message: checked.message }]);
  return checked.range;
}

const rangeView = (range: AnalyticsRange) => ({ from: range.from.toISOString(), to: range.to.toISOString() });

export const analyticsRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(summaryRoute, async (c) => {
    const db = c.get("db");
    const tenantId = c.get("tenantId");
    const { meetingId, region, ...query } = c.req.valid("query");
    const range = requireRange(query);
    const [, [total]] = await Promise.all([
      meetingId ? requireUsageMeeting(db, tenantId, meetingId) : undefined,
      scopeMetrics(db, { tenantId, range, meetingId, region }, "total"),
    ]);
    if (!total) throw new Error("the total row is always there");
    return c.json({ ...rangeView(range), meetingId: meetingId ?? null, region: region ?? null, metrics: callQualityMetrics(total) }, 200);
  })
  .openapi(hourlyRoute, async (c) => {
    const db = c.get("db");
    const tenantId = c.get("tenantId");
    const { meetingId, region, limit, cursor, ...query } = c.req.valid("query");
    const range = requireRange(query);
    const after = pageAfter(cursor, decodeHourlyCursor);
    const [, rows] = await Promise.all([
      meetingId ? requireUsageMeeting(db, tenantId, meetingId) : undefined,
      hourlyPage(db, { tenantId, range, meetingId, region }, { limit: limit + 1, after }),
    ]);
    const { page, nextCursor } = pageOf(rows, limit, encodeHourlyCursor);
    return c.json(
      {
        ...rangeView(range),
        data: page.map((row) => ({
          hour: row.hour.toISOString(),
          meetingId: row.meetingId,
          region: row.region,
          metrics: callQualityMetrics(row),
        })),
        nextCursor,
      },
      200,
    );
  })
  .openapi(regionsRoute, async (c) => {
    const range = requireRange(c.req.valid("query"));
    const rows = await scopeMetrics(c.get("db"), { tenantId: c.get("tenantId"), range }, "region");
    return c.json(
      { ...rangeView(range), data: rows.map((row) => ({ region: String(row.region), metrics: callQualityMetrics(row) })) },
      200,
    );
  })
  .openapi(meetingRoute, async (c) => {
    const db = c.get("db");
    const tenantId = c.get("tenantId");
    const meetingId = c.req.valid("param").id;
    const span = await findMeetingSpan(db, tenantId, meetingId);
    if (!span) throw new ApiError("not_found", "No meeting with this id");
    const range = meetingRange(span, new Date());
    const [groups, participants, ingestion] = await Promise.all([
      scopeMetrics(db, { tenantId, range, meetingId }, "total_and_region"),
      meetingParticipants(db, tenantId, meetingId, range),
      readRoomAnalyticsStatus(c.env.MEETING_ROOM, tenantId, meetingId),
    ]);
    const [total, ...regions] = groups;
    if (!total || total.region !== null) throw new Error("the total row comes first");
    return c.json(
      {
        meetingId,
        ...rangeView(range),
        metrics: callQualityMetrics(total),
        regions: regions.map((row) => ({ region: String(row.region), metrics: callQualityMetrics(row) })),
        participants: participants.map(participantMetrics),
        ingestion,
      },
      200,
    );
  });
