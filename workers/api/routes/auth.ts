import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { TenantId } from "../../../protocol/ids.ts";
import { randomToken } from "../../crypto/random-token.ts";
import { readConfig } from "../../env.ts";
import { provisionedRole, safeReturnTo, signInRefusal } from "../../identity/core/sign-in-rules.ts";
import { identityRedis } from "../../identity/identity-config.ts";
import { findIdentityProvider } from "../../identity/identity-provider-repository.ts";
import { authorizationUrl, completeSignIn, SignInError } from "../../identity/oidc-relying-party.ts";
import { SessionStore } from "../../identity/session-store.ts";
import { saveSignInFlow, signInFlowTtlSeconds, takeSignInFlow } from "../../identity/sign-in-flows.ts";
import { EmailTakenError, userForSignIn } from "../../identity/user-repository.ts";
import type { AppEnv } from "../app-env.ts";
import { ApiError } from "../errors.ts";
import { sessionCookie, setSessionCookie } from "../middleware/session-auth.ts";
import { validationHook } from "../middleware/validation-hook.ts";
import { json } from "../schemas/openapi-parts.ts";
import { problemResponses } from "../schemas/problem.ts";
import { requireSecretsKey, signInUrls } from "./identity-provider.ts";

const tags = ["Sign-in"];
/** Binds a sign-in to the browser that started it (sign-in-flows.ts). */
const signInCookie = "em_signin";
const cookieSecurity = { prefix: "host", path: "/", secure: true, httpOnly: true, sameSite: "Lax" } as const;

const TenantParam = z.object({
  tenantId: z
    .uuid()
    .toLowerCase()
    .pipe(TenantId)
    .openapi({ param: { name: "tenantId", in: "path" } }),
});

const loginRoute = createRoute({
  method: "get",
  path: "/v1/auth/{tenantId}/login",
  tags,
  summary: "Start signing in through the tenant's identity provider (a browser navigation)",
  request: { params: TenantParam, query: z.object({ returnTo: z.string().max(2048).optional() }) },
  responses: { 302: { description: "To the identity provider" }, ...problemResponses(400, 404, 422) },
});
const callbackRoute = createRoute({
  method: "get",
  path: "/v1/auth/{tenantId}/callback",
  tags,
  summary: "The identity provider's redirect back: checks everything, signs the person in, and returns them",
  request: { params: TenantParam },
  responses: { 303: { description: "Signed in: back to where they started" }, ...problemResponses(400, 401, 403, 404) },
});
const logoutRoute = createRoute({
  method: "post",
  path: "/v1/auth/logout",
  tags,
  summary: "Sign out this session (cookie and x-csrf-token)",
  responses: { 204: { description: "Signed out" }, ...problemResponses(401, 403) },
});
const logoutEverywhereRoute = createRoute({
  method: "post",
  path: "/v1/auth/logout-everywhere",
  tags,
  summary: "Sign out every session of the signed-in person, on every device",
  responses: {
    200: { description: "Signed out", content: json(z.object({ signedOut: z.number().int() })) },
    ...problemResponses(401, 403),
  },
});
export const signInRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(loginRoute, async (c) => {
    const { tenantId } = c.req.valid("param");
    const config = readConfig(c.env);
    const provider = await findIdentityProvider(c.get("db"), await requireSecretsKey(c.env), tenantId);
    if (!provider) throw new ApiError("identity_provider_not_configured", "This tenant has no identity provider");
    const { redirectUri } = signInUrls(c.req.url, tenantId);
    const { url, pending } = await authorizationUrl(provider, redirectUri, config.IDENTITY_ALLOW_HTTP_ISSUERS).catch(asProblem);
    const binding = randomToken();
    await saveSignInFlow(identityRedis(config), { ...pending, tenantId, returnTo: safeReturnTo(c.req.valid("query").returnTo) }, binding);
    setCookie(c, signInCookie, binding, { ...cookieSecurity, maxAge: signInFlowTtlSeconds });
    return c.redirect(url.toString(), 302);
  })
  .openapi(callbackRoute, async (c) => {
    const { tenantId } = c.req.valid("param");
    const config = readConfig(c.env);
    const redis = identityRedis(config);
    const state = c.req.query("state") ?? "";
    const flow = await takeSignInFlow(redis, state, getCookie(c, signInCookie, "host"));
    deleteCookie(c, signInCookie, cookieSecurity);
    if (!flow) throw new ApiError("sign_in_failed", "Unknown, used or expired sign-in, or one started in another browser: start again");
    if (flow.tenantId !== tenantId) throw new ApiError("sign_in_failed", "This sign-in was started for another tenant");
    const provider = await findIdentityProvider(c.get("db"), await requireSecretsKey(c.env), tenantId);
    if (!provider) throw new ApiError("identity_provider_not_configured", "This tenant has no identity provider");
    const { redirectUri } = signInUrls(c.req.url, tenantId);
    const claims = await completeSignIn(provider, flow, new URL(c.req.url), redirectUri, config.IDENTITY_ALLOW_HTTP_ISSUERS).catch(
      asProblem,
    );
    const refusal = signInRefusal(claims, provider);
    if (refusal) throw new ApiError("sign_in_refused", refusalDetail[refusal]);
    const email = String(claims.email).trim().toLowerCase();
    const displayName = typeof claims.name === "string" && claims.name.trim() ? claims.name.trim().slice(0, 200) : null;
    const user = await userForSignIn(
      c.get("db"),
      tenantId,
      { issuer: claims.iss, subject: claims.sub, email, displayName },
      provisionedRole(claims, provider),
    ).catch((error: unknown) => {
      if (error instanceof EmailTakenError) throw new ApiError("sign_in_refused", "Another account of this tenant already uses this email");
      throw error;
    });
    if (user.status !== "active") throw new ApiError("sign_in_refused", "This account has been deactivated");
    const { id } = await new SessionStore(redis).create(user.id, tenantId);
    setSessionCookie(c, id);
    return c.redirect(flow.returnTo, 303);
  });

export const sessionRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(logoutRoute, async (c) => {
    await new SessionStore(identityRedis(readConfig(c.env))).revoke(c.get("sessionId"));
    deleteCookie(c, sessionCookie, cookieSecurity);
    return c.body(null, 204);
  })
  .openapi(logoutEverywhereRoute, async (c) => {
    const signedOut = await new SessionStore(identityRedis(readConfig(c.env))).revokeAll(c.get("session").userId);
    deleteCookie(c, sessionCookie, cookieSecurity);
    return c.json({ signedOut }, 200);
  });

const refusalDetail = {
  email_missing: "The identity provider sent no email address",
  email_not_verified: "The identity provider has not verified this email address",
  email_domain_not_allowed: "This email domain may not sign in to this tenant",
} as const;

function asProblem(error: unknown): never {
  if (error instanceof SignInError) {
    if (error.reason === "provider_unreachable") throw new ApiError("dependency_unavailable", error.message);
    throw new ApiError("sign_in_failed", error.message);
  }
  throw error;
}
