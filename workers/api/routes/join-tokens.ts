import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { mintJoinToken } from "../../auth/join-token.ts";
import { loadSigningKeys } from "../../auth/signing-keys.ts";
import { readConfig } from "../../env.ts";
import { acceptsParticipants } from "../../meetings/meeting-lifecycle.ts";
import type { AppEnv } from "../app-env.ts";
import { ApiError } from "../errors.ts";
import { validationHook } from "../middleware/validation-hook.ts";
import { JoinTokenSchema, MintJoinTokenBody } from "../schemas/join-token.ts";
import { MeetingIdParam } from "../schemas/meeting.ts";
import { problemResponses } from "../schemas/problem.ts";
import { requireMeeting } from "./meetings.ts";

const mintJoinTokenRoute = createRoute({
  method: "post",
  path: "/v1/meetings/{id}/tokens",
  tags: ["Join tokens"],
  security: [{ apiKey: [] }],
  summary: "Mint a short-lived join token for one participant",
  request: { params: MeetingIdParam, body: { content: { "application/json": { schema: MintJoinTokenBody } }, required: true } },
  responses: {
    201: { description: "Minted", content: { "application/json": { schema: JoinTokenSchema } } },
    ...problemResponses(400, 401, 404, 409, 413, 415),
  },
});

export const joinTokenRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook }).openapi(mintJoinTokenRoute, async (c) => {
  const config = readConfig(c.env);
  const tenantId = c.get("tenantId");
  const meetingId = c.req.valid("param").id;
  const meeting = await requireMeeting(c.get("db"), tenantId, meetingId);
  if (!acceptsParticipants(meeting.status)) throw new ApiError("meeting_ended");
  const body = c.req.valid("json");
  const actor = c.get("actor");
  const { token, expiresAt } = await mintJoinToken(await loadSigningKeys(config.JOIN_TOKEN_SIGNING_KEYS), {
    tenantId,
    meetingId,
    identity: body.identity,
    role: body.role,
    ...(body.name ? { name: body.name } : {}),
    ...(actor.kind === "person" ? { mintedBy: actor.userId } : {}),
    ttlSeconds: body.ttlSeconds ?? config.JOIN_TOKEN_TTL_SECONDS,
    issuer: config.JOIN_TOKEN_ISSUER,
  });
  // The room sockets' Worker when there is one (it declines per-socket compression); else this Worker's own route.
  const connectUrl = new URL(`/v1/meetings/${meetingId}/connect`, config.ROOM_SOCKETS_ORIGIN ?? c.req.url);
  if (!config.ROOM_SOCKETS_ORIGIN) connectUrl.protocol = connectUrl.protocol === "https:" ? "wss:" : "ws:";
  connectUrl.searchParams.set("token", token);
  return c.json({ token, expiresAt: expiresAt.toISOString(), connectUrl: connectUrl.toString() }, 201);
});
