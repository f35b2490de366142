import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { readConfig } from "../../env.ts";
import { avatarUploaded, presignAvatarUpload, presignAvatarView } from "../../identity/avatar-objects.ts";
import { isOwnAvatarKey, readPreferences } from "../../identity/core/profile.ts";
import { findProfile, updateProfile } from "../../identity/user-repository.ts";
import type { AppEnv } from "../app-env.ts";
import { ApiError } from "../errors.ts";
import { validationHook } from "../middleware/validation-hook.ts";
import { AvatarUploadBody, AvatarUploadSchema, MeSchema, ProfilePatchBody } from "../schemas/identity.ts";
import { json } from "../schemas/openapi-parts.ts";
import { problemResponses } from "../schemas/problem.ts";

const tags = ["Sign-in"];

const getRoute = createRoute({
  method: "get",
  path: "/v1/me",
  tags,
  summary: "The signed-in person: profile and preferences (session cookie)",
  responses: { 200: { description: "Who is signed in", content: json(MeSchema) }, ...problemResponses(401) },
});
const patchRoute = createRoute({
  method: "patch",
  path: "/v1/me",
  tags,
  summary: "Change one's own profile and preferences (session cookie and x-csrf-token)",
  request: { body: { content: json(ProfilePatchBody), required: true } },
  responses: { 200: { description: "Updated", content: json(MeSchema) }, ...problemResponses(400, 401, 403) },
});
const avatarUploadRoute = createRoute({
  method: "post",
  path: "/v1/me/avatar-upload",
  tags,
  summary: "A presigned URL to upload a profile picture (PNG, JPEG or WebP, at most 2 MiB)",
  request: { body: { content: json(AvatarUploadBody), required: true } },
  responses: { 201: { description: "Upload here", content: json(AvatarUploadSchema) }, ...problemResponses(400, 401, 403) },
});

export const meRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(getRoute, async (c) => c.json(await me(c), 200))
  .openapi(patchRoute, async (c) => {
    const body = c.req.valid("json");
    const { userId } = c.get("session");
    const tenantId = c.get("tenantId");
    const current = (await findProfile(c.get("db"), tenantId, userId))!;
    if (body.avatarKey) {
      if (!isOwnAvatarKey(body.avatarKey, tenantId, userId))
        throw new ApiError("validation_failed", "avatarKey is not one of your uploads", [
          { path: "avatarKey", message: "not your upload" },
        ]);
      if (!(await avatarUploaded(readConfig(c.env), body.avatarKey)))
        throw new ApiError("validation_failed", "Nothing was uploaded under avatarKey", [{ path: "avatarKey", message: "not uploaded" }]);
    }
    const { preferences, ...fields } = body;
    await updateProfile(c.get("db"), tenantId, userId, {
      ...fields,
      ...(preferences ? { preferences: { ...readPreferences(current.preferences), ...preferences } } : {}),
    });
    return c.json(await me(c), 200);
  })
  .openapi(avatarUploadRoute, async (c) => {
    const { contentType, sizeBytes } = c.req.valid("json");
    const upload = await presignAvatarUpload(readConfig(c.env), c.get("tenantId"), c.get("session").userId, contentType, sizeBytes);
    return c.json(upload, 201);
  });

async function me(c: Context<AppEnv>) {
  const session = c.get("session");
  const tenantId = c.get("tenantId");
  // requireSession has checked the account is active.
  const profile = (await findProfile(c.get("db"), tenantId, session.userId))!;
  return {
    id: profile.id,
    tenantId: profile.tenantId,
    email: profile.email ?? "",
    displayName: profile.displayName,
    role: profile.role,
    timeZone: profile.timeZone,
    locale: profile.locale,
    avatarUrl: profile.avatarKey ? await presignAvatarView(readConfig(c.env), profile.avatarKey) : null,
    preferences: readPreferences(profile.preferences),
    csrfToken: session.csrfToken,
  };
}
