import { createMiddleware } from "hono/factory";
import { decide, type ActionRequest, type MeetingStanding } from "../../../protocol/permissions.ts";
import { ParticipantRole } from "../../../protocol/roles.ts";
import { meetingOfRecording, standingIn } from "../../identity/meeting-standing.ts";
import type { AppEnv } from "../app-env.ts";
import { ApiError } from "../errors.ts";

const uuid = "[0-9a-fA-F-]{36}";

/** What each /v1 route asks of protocol/permissions.ts, by method and path. A route not listed is refused to people. */
type Needs =
  | { kind: "plain"; request: ActionRequest }
  | { kind: "meeting"; action: "meeting.update" | "meeting.end" | "recording.control" }
  | { kind: "mint" }
  | { kind: "recording" }
  /** The route asks `decide` itself (the users API, where the target's role matters) or needs only a session. */
  | { kind: "route" };

const table: Array<[method: string, path: RegExp, needs: Needs]> = [
  ["POST", /^\/v1\/meetings$/, { kind: "plain", request: { action: "meeting.create" } }],
  ["GET", /^\/v1\/meetings$/, { kind: "plain", request: { action: "meeting.read" } }],
  ["GET", new RegExp(`^/v1/meetings/(${uuid})$`), { kind: "plain", request: { action: "meeting.read" } }],
  ["PATCH", new RegExp(`^/v1/meetings/(${uuid})$`), { kind: "meeting", action: "meeting.update" }],
  ["POST", new RegExp(`^/v1/meetings/(${uuid})/end$`), { kind: "meeting", action: "meeting.end" }],
  ["DELETE", new RegExp(`^/v1/meetings/(${uuid})$`), { kind: "meeting", action: "meeting.end" }],
  ["POST", new RegExp(`^/v1/meetings/(${uuid})/tokens$`), { kind: "mint" }],
  ["POST", new RegExp(`^/v1/meetings/(${uuid})/recordings(?:/[^/]+/[^/]+)?$`), { kind: "meeting", action: "recording.control" }],
  ["GET", /^\/v1\/recordings$/, { kind: "plain", request: { action: "recordings.list" } }],
  ["GET", new RegExp(`^/v1/recordings/(${uuid})$`), { kind: "recording" }],
  ["DELETE", new RegExp(`^/v1/recordings/(${uuid})$`), { kind: "plain", request: { action: "recording_policy.manage" } }],
  ["*", /^\/v1\/recording-policy$/, { kind: "plain", request: { action: "recording_policy.manage" } }],
  ["*", /^\/v1\/webhook-(?:endpoints|deliveries)(?:\/.*)?$/, { kind: "plain", request: { action: "webhooks.manage" } }],
  ["GET", /^\/v1\/usage(?:\/.*)?$/, { kind: "plain", request: { action: "usage.read" } }],
  ["POST", /^\/v1\/usage(?:\/.*)?$/, { kind: "plain", request: { action: "billing.manage" } }],
  ["*", /^\/v1\/analytics(?:\/.*)?$/, { kind: "plain", request: { action: "analytics.read" } }],
  ["*", /^\/v1\/identity-provider$/, { kind: "plain", request: { action: "identity_provider.manage" } }],
  ["GET", /^\/v1\/users$/, { kind: "plain", request: { action: "users.read" } }],
  ["*", /^\/v1\/users\/.+$/, { kind: "route" }],
  ["POST", /^\/v1\/users$/, { kind: "route" }],
  ["*", /^\/v1\/(?:me|me\/avatar-upload|me\/calendar-feed|auth\/logout(?:-everywhere)?)$/, { kind: "route" }],
  ["GET", new RegExp(`^/v1/meetings/(${uuid})/invite\\.ics$`), { kind: "plain", request: { action: "meeting.read" } }],
];

/**
 * Every request of a signed-in person goes through protocol/permissions.ts before its route runs; a server API key
 * acts for the whole tenant. Routes that decide on their own (users, whose target's role matters) are let through
 * here and ask `decide` themselves; an unlisted route is refused, so a new route is closed to people until listed.
 */
export const enforcePermissions = createMiddleware<AppEnv>(async (c, next) => {
  const actor = c.get("actor");
  if (actor.kind === "server") return next();
  const path = c.req.path;
  const entry = table.find(([method, pattern]) => (method === "*" || method === c.req.method) && pattern.test(path));
  if (!entry) throw new ApiError("forbidden", "Signed-in people may not use this route");
  const [, pattern, needs] = entry;
  if (needs.kind === "route") return next();
  const id = pattern.exec(path)?.[1]?.toLowerCase();
  const standing = async (meetingId: string | undefined): Promise<MeetingStanding> =>
    meetingId ? standingIn(c.get("db"), c.get("tenantId"), meetingId, actor.userId) : null;
  let request: ActionRequest;
  if (needs.kind === "plain") request = needs.request;
  else if (needs.kind === "meeting") request = { action: needs.action, standing: await standing(id) };
  else if (needs.kind === "recording")
    request = { action: "recording.read", standing: await standing(id && (await meetingOfRecording(c.get("db"), c.get("tenantId"), id))) };
  else {
    const body = (await c.req.json().catch(() => ({}))) as { role?: unknown };
    const tokenRole = ParticipantRole.safeParse(body.role ?? "participant");
    // A malformed role is the route's validation error to give; judge the strongest it could mean meanwhile.
    request = { action: "token.mint", standing: await standing(id), tokenRole: tokenRole.success ? tokenRole.data : "host" };
  }
  const decision = decide(actor, request);
  if (!decision.allowed) throw new ApiError("forbidden", decision.reason);
  return next();
});
