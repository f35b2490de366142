import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { errors as joseErrors, jwtVerify } from "jose";
import {
  CompositionReport,
  recordingReportAudience,
  recordingReportPath,
  recordingReportTtlSeconds,
} from "../../../protocol/recording-composition.ts";
import { bearerCredential } from "../../auth/api-key.ts";
import { readConfig } from "../../env.ts";
import { describeError, logEvent } from "../../observability/log.ts";
import { openDatabase } from "../../db/database.ts";
import { applyCompositionReport } from "../../recordings/recording-writes.ts";
import { playbackUrl } from "../../recordings/playback-links.ts";
import { notifyRecordingReady } from "../../meeting-room/shell/meeting-room-client.ts";
import type { MeetingId } from "../../../protocol/ids.ts";
import { pokeDispatchers } from "../../webhooks/dispatcher-client.ts";
import type { AppEnv } from "../app-env.ts";
import { ApiError } from "../errors.ts";
import { validationHook } from "../middleware/validation-hook.ts";
import { json } from "../schemas/openapi-parts.ts";
import { problemResponses } from "../schemas/problem.ts";

const reportRoute = createRoute({
  method: "post",
  path: recordingReportPath,
  tags: ["Internal"],
  summary: "The compositor's report: a recording is ready (renditions) or failed. Bearer: HS256 JWT under RECORDING_REPORT_SECRET",
  request: { body: { content: json(CompositionReport), required: true } },
  responses: {
    200: { description: "Applied (or already applied: a repeated report changes nothing)" },
    ...problemResponses(400, 401, 404),
  },
});

/** Verifies the compositor's token: HS256 under the shared secret, our audience, issued at most 5 minutes ago. */
async function verifyReportToken(secret: string, token: string): Promise<void> {
  const key = new TextEncoder().encode(secret);
  try {
    await jwtVerify(token, key, {
      algorithms: ["HS256"],
      audience: recordingReportAudience,
      maxTokenAge: recordingReportTtlSeconds,
      requiredClaims: ["exp", "iat"],
    });
  } catch (error) {
    const reason = error instanceof joseErrors.JWTExpired ? "expired" : "invalid";
    throw new ApiError("unauthorized", `The report token is ${reason}`);
  }
}

export const recordingReportRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook }).openapi(reportRoute, async (c) => {
  const config = readConfig(c.env);
  const secret = config.RECORDING_REPORT_SECRET;
  if (!secret) throw new ApiError("not_found", "Recording reports are not configured");
  const token = bearerCredential(c.req.header("authorization"));
  if (!token) throw new ApiError("unauthorized", "Send the report token as 'Authorization: Bearer <jwt>'");
  await verifyReportToken(secret, token);
  const report = c.req.valid("json");
  // The row, its renditions and the webhook event commit together: an interactive transaction, so a pooled connection.
  const handle = openDatabase(config.DATABASE_URL, config.NEON_WS_PROXY);
  try {
    const { applied, dispatchers, meetingId } = await applyCompositionReport(handle.db, report, new Date());
    if (dispatchers.length) c.executionCtx.waitUntil(pokeDispatchers(c.env.WEBHOOK_DISPATCHER, dispatchers));
    const hls = report.outcome === "ready" ? report.renditions.find((r) => r.kind === "hls") : undefined;
    // Hosts still in the meeting hear of it at once (best effort: the recording is ready whether or not they do).
    if (applied && meetingId && hls) {
      const link = await playbackUrl(c.req.url, config, report.tenantId, report.recordingId, hls.objectKey);
      const notice = { recordingId: report.recordingId, playbackUrl: link.url, expiresAt: link.expiresAt };
      c.executionCtx.waitUntil(
        notifyRecordingReady(c.env.MEETING_ROOM, report.tenantId, meetingId as MeetingId, notice).catch((error: unknown) =>
          logEvent("recording_ready_notice_failed", { recordingId: report.recordingId, error: describeError(error) }),
        ),
      );
    }
    return c.json({ applied }, 200);
  } finally {
    c.executionCtx.waitUntil(handle.close());
  }
});
