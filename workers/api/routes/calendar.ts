import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { MeetingId, TenantId } from "../../../protocol/ids.ts";
import { calendarFeedOwner, newCalendarFeed, revokeCalendarFeeds, upcomingMeetingsFor } from "../../calendar/calendar-feeds.ts";
import { inviteCalendar, type InviteMeeting } from "../../calendar/core/invite.ts";
import { inviteMeetingOf, meetingForInvite } from "../../calendar/meeting-invites.ts";
import { findUser } from "../../identity/user-repository.ts";
import type { AppEnv } from "../app-env.ts";
import { ApiError } from "../errors.ts";
import { validationHook } from "../middleware/validation-hook.ts";
import { json, security, uuidIdParam } from "../schemas/openapi-parts.ts";
import { problemResponses } from "../schemas/problem.ts";

const tags = ["Calendar"];
const ics = { "text/calendar": { schema: z.string() } };

const inviteRoute = createRoute({
  method: "get",
  path: "/v1/meetings/{id}/invite.ics",
  tags,
  security,
  summary: "The meeting's iCalendar invite (REQUEST; CANCEL once deleted), with the join link; same UID across versions",
  request: { params: uuidIdParam(MeetingId, "7b0c0e1e-3c55-4bb4-9d8e-4e4b7bd3b9f1") },
  responses: { 200: { description: "The invite", content: ics }, ...problemResponses(401, 403, 404, 409) },
});
const newFeedRoute = createRoute({
  method: "post",
  path: "/v1/me/calendar-feed",
  tags,
  summary: "A private feed URL of one's upcoming meetings (replaces and revokes the previous one)",
  responses: { 201: { description: "The feed", content: json(z.object({ url: z.string() })) }, ...problemResponses(401, 403) },
});
const revokeFeedRoute = createRoute({
  method: "delete",
  path: "/v1/me/calendar-feed",
  tags,
  summary: "Revoke one's calendar feed URL",
  responses: { 204: { description: "Revoked" }, ...problemResponses(401, 403) },
});
const feedRoute = createRoute({
  method: "get",
  path: "/v1/calendar/{file}",
  tags,
  summary: "A person's calendar feed: `{token}.ics` (the token is the credential; public route)",
  request: {
    params: z.object({
      file: z
        .string()
        .max(100)
        .openapi({ param: { name: "file", in: "path" } }),
    }),
  },
  responses: { 200: { description: "The feed", content: ics }, ...problemResponses(404) },
});

const calendarHeaders = (filename: string) => ({
  "content-type": "text/calendar; charset=utf-8",
  "content-disposition": `attachment; filename="${filename}"`,
  "cache-control": "private, no-store",
});

export const calendarRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(inviteRoute, async (c) => {
    const row = await meetingForInvite(c.get("db"), c.get("tenantId"), c.req.valid("param").id);
    if (!row) throw new ApiError("not_found", "No meeting with this id");
    const invite = inviteMeetingOf(row, new URL(c.req.url).origin);
    if (!invite)
      throw new ApiError("meeting_not_scheduled", "The meeting has no scheduled start, so there is nothing to put in a calendar");
    return c.body(inviteCalendar([invite], invite.cancelled ? "CANCEL" : "REQUEST"), 200, calendarHeaders(`meeting-${row.id}.ics`));
  })
  .openapi(newFeedRoute, async (c) => {
    const token = await newCalendarFeed(c.get("db"), c.get("tenantId"), c.get("session").userId);
    return c.json({ url: `${new URL(c.req.url).origin}/v1/calendar/${token}.ics` }, 201);
  })
  .openapi(revokeFeedRoute, async (c) => {
    await revokeCalendarFeeds(c.get("db"), c.get("tenantId"), c.get("session").userId);
    return c.body(null, 204);
  })
  .openapi(feedRoute, async (c) => {
    const file = c.req.valid("param").file;
    const owner = file.endsWith(".ics") ? await calendarFeedOwner(c.get("db"), file.slice(0, -4)) : undefined;
    // One answer for a made-up, revoked or deactivated feed: the URL tells nothing about why.
    if (!owner) throw new ApiError("not_found", "No such calendar feed");
    const user = await findUser(c.get("db"), TenantId.parse(owner.tenantId), owner.userId);
    if (!user || user.status !== "active") throw new ApiError("not_found", "No such calendar feed");
    const origin = new URL(c.req.url).origin;
    const rows = await upcomingMeetingsFor(c.get("db"), owner.tenantId, owner.userId, user.email);
    const events = rows.map((row) => inviteMeetingOf(row, origin)).filter((m): m is InviteMeeting => m !== undefined);
    return c.body(inviteCalendar(events, "PUBLISH", "Meetings"), 200, calendarHeaders("meetings.ics"));
  });
