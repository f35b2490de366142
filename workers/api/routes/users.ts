import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { decide, type TenantRole } from "../../../protocol/permissions.ts";
import { readConfig } from "../../env.ts";
import { identityRedis } from "../../identity/identity-config.ts";
import { rememberDeactivation } from "../../identity/deactivated-users.ts";
import { SessionStore } from "../../identity/session-store.ts";
import {
  EmailTakenError,
  findUser,
  inviteUser,
  listUsers,
  otherActiveOwners,
  updateUser,
  type SignedInUser,
} from "../../identity/user-repository.ts";
import { encodeCursor } from "../../meetings/page-cursor.ts";
import { pageAfter, pageOf } from "../keyset-page.ts";
import type { AppEnv } from "../app-env.ts";
import { ApiError } from "../errors.ts";
import { validationHook } from "../middleware/validation-hook.ts";
import { InviteUserBody, UpdateUserBody, UserIdParam, UserListSchema, UserSchema } from "../schemas/identity.ts";
import { json, security } from "../schemas/openapi-parts.ts";
import { pageQueryFields } from "../schemas/page-query.ts";
import { problemResponses } from "../schemas/problem.ts";

const tags = ["Users"];

const listRoute = createRoute({
  method: "get",
  path: "/v1/users",
  tags,
  security,
  summary: "The tenant's people, newest first",
  request: { query: z.object(pageQueryFields) },
  responses: { 200: { description: "A page of users", content: json(UserListSchema) }, ...problemResponses(400, 401, 403) },
});
const inviteRoute = createRoute({
  method: "post",
  path: "/v1/users",
  tags,
  security,
  summary: "Invite someone by email: they become this user at their first sign-in",
  request: { body: { content: json(InviteUserBody), required: true } },
  responses: { 201: { description: "Invited", content: json(UserSchema) }, ...problemResponses(400, 401, 403, 409) },
});
const updateRoute = createRoute({
  method: "patch",
  path: "/v1/users/{id}",
  tags,
  security,
  summary: "Change a user's role",
  request: { params: UserIdParam, body: { content: json(UpdateUserBody), required: true } },
  responses: { 200: { description: "Updated", content: json(UserSchema) }, ...problemResponses(400, 401, 403, 404) },
});
const deactivateRoute = createRoute({
  method: "post",
  path: "/v1/users/{id}/deactivate",
  tags,
  security,
  summary: "Deactivate a user: their sessions end at once and they can no longer sign in",
  request: { params: UserIdParam },
  responses: { 200: { description: "Deactivated", content: json(UserSchema) }, ...problemResponses(401, 403, 404) },
});

export const userRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(listRoute, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const rows = await listUsers(c.get("db"), c.get("tenantId"), { limit: limit + 1, after: pageAfter(cursor) });
    const { page, nextCursor } = pageOf(rows, limit, (last) => encodeCursor({ createdAt: last.createdAt, id: last.id }));
    return c.json({ data: page.map(userView), nextCursor }, 200);
  })
  .openapi(inviteRoute, async (c) => {
    const { email, role } = c.req.valid("json");
    mayManage(c, "member", role);
    const invited = await inviteUser(c.get("db"), c.get("tenantId"), email, role).catch((error: unknown) => {
      if (error instanceof EmailTakenError) throw new ApiError("forbidden", "This tenant already has a user with this email");
      throw error;
    });
    return c.json(userView(invited), 201);
  })
  .openapi(updateRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { role } = c.req.valid("json");
    const target = await requireUser(c, id);
    mayManage(c, target.role, role);
    if (target.role === "owner" && role !== "owner") await keepAnOwner(c, target.id);
    return c.json(userView((await updateUser(c.get("db"), c.get("tenantId"), id, { role }))!), 200);
  })
  .openapi(deactivateRoute, async (c) => {
    const { id } = c.req.valid("param");
    const target = await requireUser(c, id);
    mayManage(c, target.role);
    if (target.role === "owner") await keepAnOwner(c, target.id);
    const updated = (await updateUser(c.get("db"), c.get("tenantId"), id, { status: "deactivated" }))!;
    const redis = identityRedis(readConfig(c.env));
    await rememberDeactivation(redis, id);
    await new SessionStore(redis).revokeAll(id);
    return c.json(userView(updated), 200);
  });

function mayManage(c: Context<AppEnv>, targetRole: TenantRole, newRole?: TenantRole): void {
  const decision = decide(c.get("actor"), { action: "user.manage", targetRole, ...(newRole ? { newRole } : {}) });
  if (!decision.allowed) throw new ApiError("forbidden", decision.reason);
}

async function requireUser(c: Context<AppEnv>, id: string): Promise<SignedInUser> {
  const user = await findUser(c.get("db"), c.get("tenantId"), id);
  if (!user) throw new ApiError("not_found", "No user with this id");
  return user;
}

/** A tenant never loses its last active owner (nobody could then manage owners or the identity provider). */
async function keepAnOwner(c: Context<AppEnv>, leaving: string): Promise<void> {
  if ((await otherActiveOwners(c.get("db"), c.get("tenantId"), leaving)) === 0) {
    throw new ApiError("forbidden", "The tenant's last active owner can't be demoted or deactivated");
  }
}

function userView(user: SignedInUser) {
  return {
    id: user.id,
    email: user.email,
    displayName: user.displayName,
    role: user.role,
    status: user.status,
    createdAt: user.createdAt.toISOString(),
    lastSignInAt: user.lastSignInAt?.toISOString() ?? null,
  };
}
