import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { verifyJoinToken } from "../../auth/join-token.ts";
import { wasDeactivated } from "../../identity/deactivated-users.ts";
import { identityRedis } from "../../identity/identity-config.ts";
import { loadSigningKeys } from "../../auth/signing-keys.ts";
import { readConfig } from "../../env.ts";
import { acceptsParticipants, roomSettingsOf } from "../../meetings/meeting-lifecycle.ts";
import { forwardConnect, settingsRequired } from "../../meeting-room/shell/meeting-room-client.ts";
import { cfLocationFields, type LocationHint } from "../../../protocol/location-hint.ts";
import type { AppEnv } from "../app-env.ts";
import { ApiError } from "../errors.ts";
import { validationHook } from "../middleware/validation-hook.ts";
import { MeetingIdParam } from "../schemas/meeting.ts";
import { problemResponses } from "../schemas/problem.ts";
import { findMeeting } from "../../meetings/meeting-repository.ts";

const connectRoute = createRoute({
  method: "get",
  path: "/v1/meetings/{id}/connect",
  tags: ["Meeting room"],
  summary: "Open the meeting room WebSocket with a join token",
  description: "Authenticated by the join token in `token` (browsers cannot set headers on WebSockets).",
  request: {
    params: MeetingIdParam,
    query: z.object({
      token: z
        .string()
        .max(4096)
        .optional()
        .openapi({ param: { name: "token", in: "query" } }),
    }),
  },
  responses: { 101: { description: "Switching protocols" }, ...problemResponses(400, 401, 404, 409, 426) },
});

export const connectRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook }).openapi(connectRoute, async (c) => {
  const { token } = c.req.valid("query");
  if (!token) throw new ApiError("unauthorized", "Pass the join token as ?token=");
  const config = readConfig(c.env);
  // A refused token throws JoinTokenError (invalid_join_token / join_token_expired), rendered by the problem handler.
  const claims = await verifyJoinToken(await loadSigningKeys(config.JOIN_TOKEN_SIGNING_KEYS), token, {
    issuer: config.JOIN_TOKEN_ISSUER,
  });
  if (claims.meetingId !== c.req.valid("param").id) throw new ApiError("invalid_join_token", "The token is for another meeting");
  if (claims.mintedBy && (await wasDeactivated(identityRedis(config), claims.mintedBy))) {
    throw new ApiError("invalid_join_token", "The account that minted this token has been deactivated");
  }
  const upgrade = c.req.header("upgrade")?.toLowerCase() === "websocket";
  // The tenant comes from the verified token, and the room's name includes it, so a token can only ever open its
  // own tenant's meeting. A live room knows its meeting (settings, ended, deleted): it answers without Postgres.
  // The room's refusal (anything but 101) is thrown as a MeetingRoomRefusal and answered as a problem, never relayed.
  if (upgrade) {
    const live = await forwardConnect(c.env.MEETING_ROOM, c.req.raw, claims);
    if (live !== settingsRequired) return live;
  }
  // The room was never configured (nobody joined yet), or this is no upgrade: the meeting as Postgres has it.
  const meeting = await findMeeting(c.get("db"), claims.tenantId, claims.meetingId);
  if (!meeting) throw new ApiError("not_found", "No meeting with this id");
  if (!acceptsParticipants(meeting.status)) throw new ApiError("meeting_ended");
  if (!upgrade) throw new ApiError("upgrade_required");
  const connected = await forwardConnect(c.env.MEETING_ROOM, c.req.raw, claims, {
    ...roomSettingsOf(meeting, readConfig(c.env).SFU_SWITCH_THRESHOLD),
    locationHint: locationHintOf(c.req.raw),
  });
  // Only a connect without settings is answered `settingsRequired`.
  if (connected === settingsRequired) throw new ApiError("internal_error");
  return connected;
});

/** The parts of Cloudflare's request.cf that say where a client is (absent under some local runtimes). */
function locationHintOf(request: Request): LocationHint | null {
  const cf = (request as { cf?: Record<string, unknown> }).cf;
  if (!cf) return null;
  const hint: LocationHint = {};
  for (const key of cfLocationFields) {
    if (typeof cf[key] === "string") hint[key] = cf[key];
  }
  return Object.keys(hint).length ? hint : null;
}
