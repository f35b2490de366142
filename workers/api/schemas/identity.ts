import { z } from "@hono/zod-openapi";
import { TenantRole } from "../../../protocol/permissions.ts";
import { AvatarType, avatarRules, Locale, PreferencesPatch, TimeZone } from "../../identity/core/profile.ts";
import { EmailDomain } from "../../identity/core/sign-in-rules.ts";

export const IdentityProviderBody = z
  .object({
    issuer: z.url().max(512).openapi({ example: "https://login.example.com" }),
    clientId: z.string().min(1).max(256),
    clientSecret: z.string().min(1).max(1024),
    allowedEmailDomains: z.array(EmailDomain).max(100).default([]),
    roleClaim: z.string().min(1).max(128).nullable().default(null),
    roleMapping: z.record(z.string().min(1).max(256), TenantRole).default({}),
    defaultRole: TenantRole.default("member"),
  })
  .strict()
  .refine((body) => Object.keys(body.roleMapping).length <= 100, { message: "at most 100 mapped values", path: ["roleMapping"] })
  .refine((body) => !Object.keys(body.roleMapping).length || body.roleClaim, {
    message: "a role mapping needs roleClaim",
    path: ["roleClaim"],
  })
  .openapi("IdentityProviderBody");

export const IdentityProviderSchema = z
  .object({
    issuer: z.string(),
    clientId: z.string(),
    allowedEmailDomains: z.array(z.string()),
    roleClaim: z.string().nullable(),
    roleMapping: z.record(z.string(), TenantRole),
    defaultRole: TenantRole,
    redirectUri: z.string().openapi({ description: "Register this redirect URI with the identity provider" }),
    loginUrl: z.string().openapi({ description: "Where the tenant's people start signing in" }),
    updatedAt: z.iso.datetime(),
  })
  .openapi("IdentityProvider");

export const MeSchema = z
  .object({
    id: z.uuid(),
    tenantId: z.uuid(),
    email: z.string(),
    displayName: z.string().nullable(),
    role: TenantRole,
    timeZone: z.string().nullable(),
    locale: z.string().nullable(),
    avatarUrl: z.string().nullable().openapi({ description: "A short-lived link to the profile picture" }),
    preferences: z.object({
      joinWithCameraOff: z.boolean(),
      joinWithMicrophoneOff: z.boolean(),
      defaultLayout: z.enum(["grid", "speaker"]),
      captionsLanguage: z.string().nullable(),
    }),
    csrfToken: z.string().openapi({ description: "Send as `x-csrf-token` on every state-changing request made with the session cookie" }),
  })
  .openapi("Me");

export const UserSchema = z
  .object({
    id: z.uuid(),
    email: z.string(),
    displayName: z.string().nullable(),
    role: TenantRole,
    status: z.enum(["active", "deactivated"]),
    createdAt: z.iso.datetime(),
    lastSignInAt: z.iso.datetime().nullable(),
  })
  .openapi("User");

export const UserListSchema = z.object({ data: z.array(UserSchema), nextCursor: z.string().nullable() }).openapi("UserList");

export const InviteUserBody = z
  .object({ email: z.email().max(254).toLowerCase(), role: TenantRole.default("member") })
  .strict()
  .openapi("InviteUserBody");

export const UpdateUserBody = z.object({ role: TenantRole }).strict().openapi("UpdateUserBody");

export const UserIdParam = z.object({
  id: z
    .uuid()
    .toLowerCase()
    .openapi({ param: { name: "id", in: "path" } }),
});

export const ProfilePatchBody = z
  .object({
    displayName: z.string().trim().min(1).max(200).nullable(),
    timeZone: TimeZone.nullable(),
    locale: Locale.nullable(),
    avatarKey: z.string().max(300).nullable(),
    preferences: PreferencesPatch,
  })
  .partial()
  .strict()
  .openapi("ProfilePatch");

export const AvatarUploadBody = z
  .object({ contentType: AvatarType, sizeBytes: z.number().int().min(1).max(avatarRules.maxBytes) })
  .strict()
  .openapi("AvatarUploadRequest");

export const AvatarUploadSchema = z
  .object({ avatarKey: z.string(), uploadUrl: z.string(), expiresAt: z.iso.datetime() })
  .openapi("AvatarUpload", { description: "PUT the image to uploadUrl with the declared Content-Type, then PATCH /v1/me with avatarKey" });
