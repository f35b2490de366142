import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { ApiError } from "../errors.ts";
import type { AppEnv } from "../app-env.ts";
import { recordHost } from "../../identity/meeting-standing.ts";
import { validationHook } from "../middleware/validation-hook.ts";
import { json, security } from "../schemas/openapi-parts.ts";
import { problemResponses } from "../schemas/problem.ts";
import {
  CreateMeetingBody,
  IdempotencyHeader,
  ListMeetingsQuery,
  MeetingIdParam,
  MeetingPageSchema,
  MeetingSchema,
  UpdateMeetingBody,
} from "../schemas/meeting.ts";
import { meetingView } from "./meeting-view.ts";
import {
  changesInvite,
  endMeeting,
  findMeeting,
  insertMeeting,
  listMeetings,
  maxSequenceRaces,
  updateMeeting,
  type MeetingRow,
} from "../../meetings/meeting-repository.ts";
import { mergeSchedule, refuseUpdate, roomSettingsOf } from "../../meetings/meeting-lifecycle.ts";
import { encodeCursor } from "../../meetings/page-cursor.ts";
import { pageAfter, pageOf } from "../keyset-page.ts";
import { requestFingerprint } from "../../meetings/request-fingerprint.ts";
import type { MeetingId } from "../../../protocol/ids.ts";
import { readConfig } from "../../env.ts";
import { endMeetingRoom, updateMeetingRoom } from "../../meeting-room/shell/meeting-room-client.ts";
import { meetingDeletedReason } from "../../../protocol/room-contract.ts";
import { pokeDispatchers } from "../../webhooks/dispatcher-client.ts";
import { inviteFacts } from "../../calendar/meeting-invites.ts";

const tags = ["Meetings"];

const createMeetingRoute = createRoute({
  method: "post",
  path: "/v1/meetings",
  tags,
  security,
  summary: "Create a meeting",
  request: { headers: IdempotencyHeader, body: { content: json(CreateMeetingBody), required: true } },
  responses: {
    201: { description: "Created", content: json(MeetingSchema) },
    200: { description: "Replayed create (same Idempotency-Key and body)", content: json(MeetingSchema) },
    ...problemResponses(400, 401, 409, 413, 415),
  },
});

const getMeetingRoute = createRoute({
  method: "get",
  path: "/v1/meetings/{id}",
  tags,
  security,
  summary: "Get a meeting",
  request: { params: MeetingIdParam },
  responses: { 200: { description: "The meeting", content: json(MeetingSchema) }, ...problemResponses(400, 401, 404) },
});

const listMeetingsRoute = createRoute({
  method: "get",
  path: "/v1/meetings",
  tags,
  security,
  summary: "List meetings, newest first",
  request: { query: ListMeetingsQuery },
  responses: { 200: { description: "A page of meetings", content: json(MeetingPageSchema) }, ...problemResponses(400, 401) },
});

const updateMeetingRoute = createRoute({
  method: "patch",
  path: "/v1/meetings/{id}",
  tags,
  security,
  summary: "Update a meeting that has not ended",
  request: { params: MeetingIdParam, body: { content: json(UpdateMeetingBody), required: true } },
  responses: {
    200: { description: "Updated", content: json(MeetingSchema) },
    ...problemResponses(400, 401, 404, 409, 413, 415),
  },
});

const endMeetingRoute = createRoute({
  method: "post",
  path: "/v1/meetings/{id}/end",
  tags,
  security,
  summary: "End a meeting for everyone (idempotent)",
  request: { params: MeetingIdParam },
  responses: { 200: { description: "Ended", content: json(MeetingSchema) }, ...problemResponses(400, 401, 404) },
});

const deleteMeetingRoute = createRoute({
  method: "delete",
  path: "/v1/meetings/{id}",
  tags,
  security,
  summary: "Delete a meeting (ends it first; usage records are kept)",
  request: { params: MeetingIdParam },
  responses: { 204: { description: "Deleted" }, ...problemResponses(400, 401, 404) },
});

const toDate = (value: string | null | undefined) => (value === undefined ? undefined : value === null ? null : new Date(value));

export const meetingRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(createMeetingRoute, async (c) => {
    const body = c.req.valid("json");
    const key = c.req.valid("header")["idempotency-key"];
    const tenantId = c.get("tenantId");
    const input = {
      ...body,
      scheduledStartAt: toDate(body.scheduledStartAt) ?? null,
      scheduledEndAt: toDate(body.scheduledEndAt) ?? null,
    };
    const now = new Date();
    const result = await insertMeeting(c.get("db"), tenantId, input, {
      ...(key ? { idempotency: { key, fingerprint: await requestFingerprint(body) } } : {}),
      // A scheduled meeting's first invite goes out with it.
      announce: (id) =>
        inviteFacts(tenantId, undefined, { ...input, id, inviteSequence: 0, deletedAt: null }, new URL(c.req.url).origin, now),
    });
    if ("conflict" in result) throw new ApiError("idempotency_conflict");
    if (result.dispatchers.length) c.executionCtx.waitUntil(pokeDispatchers(c.env.WEBHOOK_DISPATCHER, result.dispatchers));
    const actor = c.get("actor");
    if (actor.kind === "person") await recordHost(c.get("db"), tenantId, result.meeting.id, actor.userId);
    return c.json(meetingView(result.meeting), result.replayed ? 200 : 201);
  })
  .openapi(getMeetingRoute, async (c) => {
    const meeting = await requireMeeting(c.get("db"), c.get("tenantId"), c.req.valid("param").id);
    return c.json(meetingView(meeting), 200);
  })
  .openapi(listMeetingsRoute, async (c) => {
    const { limit, cursor, status } = c.req.valid("query");
    const rows = await listMeetings(c.get("db"), c.get("tenantId"), { limit: limit + 1, after: pageAfter(cursor), status });
    const { page, nextCursor } = pageOf(rows, limit, (last) => encodeCursor({ createdAt: last.createdAt, id: last.id }));
    return c.json({ data: page.map(meetingView), nextCursor }, 200);
  })
  .openapi(updateMeetingRoute, async (c) => {
    const db = c.get("db");
    const tenantId = c.get("tenantId");
    const id = c.req.valid("param").id;
    const patch = c.req.valid("json");
    const inviteChanged = changesInvite(patch);
    for (let attempt = 0; attempt < maxSequenceRaces; attempt++) {
      const current = await requireMeeting(db, tenantId, id);
      const refusal = refuseUpdate(current.status);
      if (refusal) throw new ApiError(refusal);
      const schedule = mergeSchedule(current, {
        scheduledStartAt: toDate(patch.scheduledStartAt),
        scheduledEndAt: toDate(patch.scheduledEndAt),
      });
      if (schedule === "invalid_schedule") {
        throw new ApiError("validation_failed", "scheduledEndAt must be after scheduledStartAt", [
          { path: "scheduledEndAt", message: "must be after scheduledStartAt" },
        ]);
      }
      const { scheduledStartAt: _start, scheduledEndAt: _end, ...rest } = patch;
      const change = { ...rest, ...schedule };
      const invite = inviteChanged
        ? {
            fromSequence: current.inviteSequence,
            facts: inviteFacts(
              tenantId,
              current,
              { ...current, ...change, inviteSequence: current.inviteSequence + 1 },
              new URL(c.req.url).origin,
              new Date(),
            ),
          }
        : undefined;
      const updated = await updateMeeting(db, tenantId, id, change, invite);
      // Nothing updated: ended or deleted between the read and the write, or another edit raised the invite's
      // SEQUENCE meanwhile (read again: this edit goes on top of it).
      if (!updated) continue;
      if (updated.dispatchers.length) c.executionCtx.waitUntil(pokeDispatchers(c.env.WEBHOOK_DISPATCHER, updated.dispatchers));
      // A live room is authoritative for its settings (connects read no Postgres), so the edit must reach it.
      await updateMeetingRoom(c.env.MEETING_ROOM, tenantId, id, roomSettingsOf(updated.meeting, readConfig(c.env).SFU_SWITCH_THRESHOLD));
      return c.json(meetingView(updated.meeting), 200);
    }
    throw new Error(`meeting ${id}: its invite kept changing under this edit`);
  })
  .openapi(endMeetingRoute, async (c) => {
    const tenantId = c.get("tenantId");
    const id = c.req.valid("param").id;
    const db = c.get("db");
    await requireMeeting(db, tenantId, id);
    await endRoomThenMeeting(c, id, "ended_by_api", {});
    return c.json(meetingView(await requireMeeting(db, tenantId, id)), 200);
  })
  .openapi(deleteMeetingRoute, async (c) => {
    const tenantId = c.get("tenantId");
    const id = c.req.valid("param").id;
    await requireMeeting(c.get("db"), tenantId, id);
    await endRoomThenMeeting(c, id, meetingDeletedReason, { deleted: true });
    return c.body(null, 204);
  });

/**
 * Ends the room first, which answers once its records (joins included) are in Postgres, then the meeting row: the
 * row's end records `meeting.ended` itself only for a meeting nobody joined, which it can tell only after the room's
 * joins are in. A room that fails still leaves the meeting ended in Postgres, and the failure is answered.
 */
async function endRoomThenMeeting(c: Context<AppEnv>, id: MeetingId, reason: string, options: { deleted?: boolean }): Promise<void> {
  const tenantId = c.get("tenantId");
  const roomFailure = await endMeetingRoom(c.env.MEETING_ROOM, tenantId, id, reason).then(
    () => undefined,
    (error: unknown) => ({ error }),
  );
  const ended = await endMeeting(c.get("db"), tenantId, id, {
    ...options,
    cancelInvite: (meeting) =>
      inviteFacts(
        tenantId,
        meeting,
        { ...meeting, inviteSequence: meeting.inviteSequence + 1, deletedAt: new Date() },
        new URL(c.req.url).origin,
        new Date(),
      ),
  });
  if (!ended) throw new ApiError("not_found", "No meeting with this id");
  c.executionCtx.waitUntil(pokeDispatchers(c.env.WEBHOOK_DISPATCHER, ended.endpointIds));
  if (roomFailure) throw roomFailure.error;
}

/** 404 for a meeting that does not exist *or belongs to another tenant*: the two are indistinguishable. */
export async function requireMeeting(
  db: AppEnv["Variables"]["db"],
  tenantId: AppEnv["Variables"]["tenantId"],
  id: MeetingId,
): Promise<MeetingRow> {
  const meeting = await findMeeting(db, tenantId, id);
  if (!meeting) throw new ApiError("not_found", "No meeting with this id");
  return meeting;
}
