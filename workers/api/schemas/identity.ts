import { z } from "@hono/zod-openapi";
import { TenantRole } from "../../../protocol/permissions.ts";
import { AvatarType, avatarRules, Locale, PreferencesPatch, TimeZone } from "../../identity/core/profile.ts";
import { EmailDomain } from "../../identity/core/sign-in-rules.ts";

const signInPolicy = {
  allowedEmailDomains: z.array(EmailDomain).max(100).default([]),
  roleClaim: z
    .string()
    .min(1)
    .max(256)
    .nullable()
    .default(null)
    .openapi({ description: "OpenID: the ID-token claim; SAML: the attribute (name as sent) whose values roleMapping maps" }),
  roleMapping: z.record(z.string().min(1).max(256), TenantRole).default({}),
  defaultRole: TenantRole.default("member"),
};

const policyRules = <T extends { roleMapping: Record<string, unknown>; roleClaim: string | null }>(schema: z.ZodType<T>) =>
  schema
    .refine((body) => Object.keys(body.roleMapping).length <= 100, { message: "at most 100 mapped values", path: ["roleMapping"] })
    .refine((body) => !Object.keys(body.roleMapping).length || body.roleClaim, {
      message: "a role mapping needs roleClaim",
      path: ["roleClaim"],
    });

/** One PEM X.509 certificate, as identity providers publish them. */
const PemCertificate = z
  .string()
  .trim()
  .max(16_384)
  .regex(/^-----BEGIN CERTIFICATE-----\s*[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----$/, "a PEM certificate (-----BEGIN CERTIFICATE-----…)");

export const OidcProviderBody = policyRules(
  z
    .object({
      protocol: z.literal("oidc").default("oidc"),
      issuer: z.url().max(512).openapi({ example: "https://login.example.com" }),
      clientId: z.string().min(1).max(256),
      clientSecret: z.string().min(1).max(1024),
      ...signInPolicy,
    })
    .strict(),
);

export const SamlProviderBody = policyRules(
  z
    .object({
      protocol: z.literal("saml"),
      issuer: z.string().min(1).max(512).openapi({ description: "The identity provider's entity ID (its assertions' Issuer)" }),
      ssoUrl: z.url().max(2048).openapi({ description: "Its single sign-on URL for the HTTP-Redirect binding" }),
      certificates: z
        .array(PemCertificate)
        .min(1)
        .max(5)
        .openapi({ description: "Its signing certificates (several while it rolls its key)" }),
      ...signInPolicy,
    })
    .strict(),
);

/** The tenant's identity provider: OpenID Connect (the default when `protocol` is left out) or SAML 2.0. */
export const IdentityProviderBody = z.union([OidcProviderBody, SamlProviderBody]).openapi("IdentityProviderBody");

export const IdentityProviderSchema = z
  .object({
    protocol: z.enum(["oidc", "saml"]),
    issuer: z.string(),
    clientId: z.string().optional(),
    ssoUrl: z.string().optional(),
    certificates: z.array(z.string()).optional(),
    allowedEmailDomains: z.array(z.string()),
    roleClaim: z.string().nullable(),
    roleMapping: z.record(z.string(), TenantRole),
    defaultRole: TenantRole,
    redirectUri: z.string().optional().openapi({ description: "OpenID: register this redirect URI with the identity provider" }),
    saml: z
      .object({ entityId: z.string(), acsUrl: z.string(), metadataUrl: z.string() })
      .optional()
      .openapi({ description: "SAML: our service provider for this tenant, to register with the identity provider (or load metadataUrl)" }),
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
