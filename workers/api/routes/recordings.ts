import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { MeetingId, TenantId } from "../../../protocol/ids.ts";
import { recordingPrefix } from "../../../protocol/recording-composition.ts";
import { readConfig, type Config } from "../../env.ts";
import { commandMeetingRecording } from "../../meeting-room/shell/meeting-room-client.ts";
import { findMeeting } from "../../meetings/meeting-repository.ts";
import { encodeCursor } from "../../meetings/page-cursor.ts";
import { pageAfter, pageOf } from "../keyset-page.ts";
import { resolveReference, rewritePlaylist } from "../../recordings/core/playlist-rewrite.ts";
import { verifyPlayback } from "../../recordings/playback-signature.ts";
import { playbackKeyOf, playbackUrl } from "../../recordings/playback-links.ts";
import {
  deleteRecordingObjects,
  playbackUrlTtlSeconds,
  presignRecordingObject,
  readRecordingText,
} from "../../recordings/recording-objects.ts";
import {
  deleteRecordingRow,
  findRecording,
  listRecordings,
  readRetentionDays,
  recordingRenditionsOf,
  writeRetentionDays,
  type RecordingRow,
  type RenditionRow,
} from "../../recordings/recording-repository.ts";
import { insertStartedRecording } from "../../recordings/recording-writes.ts";
import type { AppEnv } from "../app-env.ts";
import { ApiError } from "../errors.ts";
import { validationHook } from "../middleware/validation-hook.ts";
import { MeetingIdParam } from "../schemas/meeting.ts";
import { json, security } from "../schemas/openapi-parts.ts";
import { problemResponses } from "../schemas/problem.ts";
import {
  ListRecordingsQuery,
  LiveRecordingSchema,
  PlaybackQuery,
  RecordingActionParams,
  RecordingDetailSchema,
  RecordingOnlyParam,
  RecordingPageSchema,
  RecordingPolicySchema,
  StartRecordingBody,
} from "../schemas/recordings.ts";
import { z } from "@hono/zod-openapi";

const tags = ["Recordings"];

const startRoute = createRoute({
  method: "post",
  path: "/v1/meetings/{id}/recordings",
  tags,
  security,
  summary: "Start recording a live meeting (it moves to the SFU if it is peer to peer); every participant is shown it",
  request: { params: MeetingIdParam, body: { content: json(StartRecordingBody), required: false } },
  responses: {
    202: { description: "Starting: the recorder joins once the meeting is on the SFU", content: json(LiveRecordingSchema) },
    ...problemResponses(400, 401, 404, 409),
  },
});

const actionRoute = createRoute({
  method: "post",
  path: "/v1/meetings/{id}/recordings/{recordingId}/{action}",
  tags,
  security,
  summary: "Pause, resume or stop a meeting's recording",
  request: { params: RecordingActionParams },
  responses: { 200: { description: "The recording now", content: json(LiveRecordingSchema) }, ...problemResponses(400, 401, 404, 409) },
});

const listRoute = createRoute({
  method: "get",
  path: "/v1/recordings",
  tags,
  security,
  summary: "Recordings, newest first: by meeting, date, participant, or full-text search (title, participant names, chat)",
  request: { query: ListRecordingsQuery },
  responses: { 200: { description: "A page of recordings", content: json(RecordingPageSchema) }, ...problemResponses(400, 401) },
});

const getRoute = createRoute({
  method: "get",
  path: "/v1/recordings/{id}",
  tags,
  security,
  summary: "A recording with its renditions and short-lived playback URLs",
  request: { params: RecordingOnlyParam },
  responses: { 200: { description: "The recording", content: json(RecordingDetailSchema) }, ...problemResponses(400, 401, 404) },
});

const deleteRoute = createRoute({
  method: "delete",
  path: "/v1/recordings/{id}",
  tags,
  security,
  summary: "Delete a finished recording: its objects in S3, then its rows",
  request: { params: RecordingOnlyParam },
  responses: { 204: { description: "Deleted" }, ...problemResponses(400, 401, 404, 409) },
});

const playbackRoute = createRoute({
  method: "get",
  path: "/v1/recordings/{id}/playback/{file}",
  tags,
  summary: "A signed HLS playlist of a recording (links from GET /v1/recordings/{id}; no API key)",
  request: {
    params: RecordingOnlyParam.extend({ file: z.string().regex(/^[A-Za-z0-9_.-]+(?:~[A-Za-z0-9_.-]+)*\.m3u8$/) }),
    query: PlaybackQuery,
  },
  responses: { 200: { description: "The playlist, every reference signed" }, ...problemResponses(400, 401, 404) },
});

const getPolicyRoute = createRoute({
  method: "get",
  path: "/v1/recording-policy",
  tags,
  security,
  summary: "The tenant's recording retention",
  responses: { 200: { description: "The policy", content: json(RecordingPolicySchema) }, ...problemResponses(401) },
});

const putPolicyRoute = createRoute({
  method: "put",
  path: "/v1/recording-policy",
  tags,
  security,
  summary: "Set the tenant's recording retention (a daily job deletes older recordings)",
  request: { body: { content: json(RecordingPolicySchema), required: true } },
  responses: { 200: { description: "The policy", content: json(RecordingPolicySchema) }, ...problemResponses(400, 401) },
});

const iso = (date: Date | null) => (date ? date.toISOString() : null);

function recordingView(row: RecordingRow) {
  return {
    id: row.id,
    meetingId: row.meetingId,
    title: row.title,
    status: row.status,
    layout: row.layout,
    startedBy: row.startedBy,
    startedAt: iso(row.startedAt),
    endedAt: iso(row.endedAt),
    readyAt: iso(row.readyAt),
    durationMs: row.durationMs,
    pausedMs: row.pausedMs,
    sizeBytes: row.sizeBytes,
    participantNames: row.participantNames,
    problems: row.problems,
    error: row.error,
    createdAt: row.createdAt.toISOString(),
  };
}

async function renditionView(c: { req: { url: string } }, config: Config, tenantId: string, rendition: RenditionRow) {
  const expiresAt = new Date(Date.now() + playbackUrlTtlSeconds * 1000).toISOString();
  const url =
    rendition.kind === "hls"
      ? (await playbackUrl(c.req.url, config, tenantId, rendition.recordingId, rendition.objectKey)).url
      : await presignRecordingObject(config, rendition.objectKey);
  const { kind, contentType, sizeBytes, width, height, durationMs } = rendition;
  return { kind, contentType, sizeBytes, width, height, durationMs, url, expiresAt };
}

async function requireRecording(db: Parameters<typeof findRecording>[0], tenantId: string, id: string) {
  const row = await findRecording(db, tenantId, id);
  if (!row) throw new ApiError("not_found", "No recording with this id");
  return row;
}

export const recordingRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(startRoute, async (c) => {
    const db = c.get("db");
    const tenantId = c.get("tenantId");
    const meetingId = c.req.valid("param").id;
    const body = c.req.valid("json") ?? { layout: "grid" as const };
    const meeting = await findMeeting(db, tenantId, meetingId);
    if (!meeting) throw new ApiError("not_found", "No meeting with this id");
    if (meeting.status === "ended") throw new ApiError("meeting_ended");
    const recordingId = crypto.randomUUID();
    const answer = await commandMeetingRecording(c.env.MEETING_ROOM, tenantId, meetingId, {
      action: "start",
      recordingId,
      by: "api",
      layout: body.layout,
      ...(body.consentRequired !== undefined ? { consentRequired: body.consentRequired } : {}),
    });
    // The room's outbox writes the same row; written here too so the recording can be read at once.
    const startedAt = answer.recording ? new Date(answer.recording.startedAt) : new Date();
    await insertStartedRecording(
      db,
      { tenantId, meetingId },
      { id: recordingId, by: "api", at: startedAt, layout: body.layout, title: meeting.title },
    );
    return c.json({ id: recordingId, meetingId, live: answer.recording }, 202);
  })
  .openapi(actionRoute, async (c) => {
    const tenantId = c.get("tenantId");
    const { id, recordingId, action } = c.req.valid("param");
    const row = await requireRecording(c.get("db"), tenantId, recordingId);
    if (row.meetingId !== id) throw new ApiError("not_found", "No recording with this id in this meeting");
    const answer = await commandMeetingRecording(c.env.MEETING_ROOM, tenantId as TenantId, id as MeetingId, {
      action,
      recordingId,
      by: "api",
    });
    return c.json({ id: recordingId, meetingId: id, live: answer.recording }, 200);
  })
  .openapi(listRoute, async (c) => {
    const { limit, cursor, from, to, ...filter } = c.req.valid("query");
    const rows = await listRecordings(
      c.get("db"),
      c.get("tenantId"),
      { ...filter, from: from ? new Date(from) : undefined, to: to ? new Date(to) : undefined },
      { limit: limit + 1, after: pageAfter(cursor) },
    );
    const { page, nextCursor } = pageOf(rows, limit, encodeCursor);
    return c.json({ data: page.map(recordingView), nextCursor }, 200);
  })
  .openapi(getRoute, async (c) => {
    const db = c.get("db");
    const tenantId = c.get("tenantId");
    const { id } = c.req.valid("param");
    const row = await requireRecording(db, tenantId, id);
    const config = readConfig(c.env);
    const renditions = row.status === "ready" ? await recordingRenditionsOf(db, tenantId, id) : [];
    return c.json(
      { ...recordingView(row), renditions: await Promise.all(renditions.map((r) => renditionView(c, config, tenantId, r))) },
      200,
    );
  })
  .openapi(deleteRoute, async (c) => {
    const db = c.get("db");
    const tenantId = c.get("tenantId");
    const { id } = c.req.valid("param");
    const row = await requireRecording(db, tenantId, id);
    if (row.status === "pending" || row.status === "recording" || row.status === "paused") {
      throw new ApiError("recording_not_ready", "Stop the recording before deleting it");
    }
    // Objects first: a failure leaves the row, so the delete can be repeated; never rows pointing at nothing.
    await deleteRecordingObjects(readConfig(c.env), recordingPrefix(tenantId, id));
    await deleteRecordingRow(db, tenantId, id);
    return c.body(null, 204);
  })
  .openapi(playbackRoute, async (c) => {
    const { id, file } = c.req.valid("param");
    const { t: tenantId, exp, sig } = c.req.valid("query");
    const config = readConfig(c.env);
    if (!(await verifyPlayback(config.WEBHOOK_SECRETS_KEY, tenantId, id, exp, sig, Math.floor(Date.now() / 1000)))) {
      throw new ApiError("unauthorized", "The playback link is invalid or has expired");
    }
    const root = recordingPrefix(tenantId, id);
    // Only the recording's own playlists: no `.`/`..` segment can walk out of its prefix.
    if (file.split("~").some((segment) => segment === "." || segment === "..")) throw new ApiError("not_found", "No such playlist");
    const key = playbackKeyOf(file, root);
    const playlist = await readRecordingText(config, key);
    if (playlist === undefined) throw new ApiError("not_found", "No such playlist in this recording");
    const references = new Map<string, string>();
    for (const line of playlist.split(/\r?\n/)) {
      const trimmed = line.trim();
      const refs = trimmed.startsWith("#") ? [...trimmed.matchAll(/URI="([^"]+)"/g)].map((m) => m[1]!) : trimmed ? [trimmed] : [];
      for (const reference of refs) {
        const target = resolveReference(key, reference, root);
        if (!target) throw new ApiError("not_found", "The playlist refers outside its recording");
        references.set(
          reference,
          target.endsWith(".m3u8")
            ? (await playbackUrl(c.req.url, config, tenantId, id, target)).url
            : await presignRecordingObject(config, target),
        );
      }
    }
    const body = rewritePlaylist(playlist, (reference) => references.get(reference) ?? reference);
    return c.body(body, 200, { "content-type": "application/vnd.apple.mpegurl", "cache-control": "private, max-age=60" });
  })
  .openapi(getPolicyRoute, async (c) => {
    return c.json({ retentionDays: await readRetentionDays(c.get("db"), c.get("tenantId")) }, 200);
  })
  .openapi(putPolicyRoute, async (c) => {
    const { retentionDays } = c.req.valid("json");
    await writeRetentionDays(c.get("db"), c.get("tenantId"), retentionDays);
    return c.json({ retentionDays }, 200);
  });
