import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { TenantId } from "../../../protocol/ids.ts";
import { randomToken } from "../../crypto/random-token.ts";
import { readConfig } from "../../env.ts";
import { provisionedRole, safeReturnTo, signInRefusal } from "../../identity/core/sign-in-rules.ts";
import { identityRedis } from "../../identity/identity-config.ts";
import { findIdentityProvider, type IdentityProvider } from "../../identity/identity-provider-repository.ts";
import { SamlRequestCache } from "../../identity/saml-request-cache.ts";
import { completeSamlSignIn, samlServiceProviderMetadata, samlSignInUrl } from "../../identity/saml-service-provider.ts";
import { authorizationUrl, completeSignIn, SignInError } from "../../identity/oidc-relying-party.ts";
import { SessionStore } from "../../identity/session-store.ts";
import { saveSignInFlow, signInFlowTtlSeconds, takeSignInFlow, type SignInFlow } from "../../identity/sign-in-flows.ts";
import { EmailTakenError, userForSignIn } from "../../identity/user-repository.ts";
import type { AppEnv } from "../app-env.ts";
import { ApiError } from "../errors.ts";
import { sessionCookie, setSessionCookie } from "../middleware/session-auth.ts";
import { validationHook } from "../middleware/validation-hook.ts";
import { json } from "../schemas/openapi-parts.ts";
import { problemResponses } from "../schemas/problem.ts";
import { requireSecretsKey, signInUrls } from "./identity-provider.ts";

const tags = ["Sign-in"];
const cookieSecurity = { prefix: "host", path: "/", secure: true, httpOnly: true, sameSite: "Lax" } as const;
/**
 * Binds a sign-in to the browser that started it (sign-in-flows.ts), one cookie per protocol: a SAML provider answers
 * with a cross-site POST, which only a SameSite=None cookie rides.
 */
const signInCookies = {
  oidc: { name: "em_signin", options: cookieSecurity },
  saml: { name: "em_saml_signin", options: { ...cookieSecurity, sameSite: "None" } },
} as const;

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
const samlAcsRoute = createRoute({
  method: "post",
  path: "/v1/auth/{tenantId}/saml/acs",
  tags,
  summary: "The SAML identity provider's POST back (assertion consumer): checks everything, signs the person in, and returns them",
  request: {
    params: TenantParam,
    body: {
      content: {
        "application/x-www-form-urlencoded": {
          schema: z.object({ SAMLResponse: z.string().min(1), RelayState: z.string().max(512) }),
        },
      },
      required: true,
    },
  },
  responses: { 303: { description: "Signed in: back to where they started" }, ...problemResponses(400, 401, 403, 404, 415) },
});
const samlMetadataRoute = createRoute({
  method: "get",
  path: "/v1/auth/{tenantId}/saml/metadata",
  tags,
  summary: "Our SAML service-provider metadata for the tenant (entity ID, assertion consumer URL), to load into its identity provider",
  request: { params: TenantParam },
  responses: {
    200: { description: "SAML metadata", content: { "application/samlmetadata+xml": { schema: z.string() } } },
    ...problemResponses(404),
  },
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
    const urls = signInUrls(c.req.url, tenantId);
    const returnTo = safeReturnTo(c.req.valid("query").returnTo);
    const redis = identityRedis(config);
    const binding = randomToken();
    if (provider.protocol === "saml") {
      const state = randomToken();
      const url = await samlSignInUrl(provider, urls.saml, samlRequests(c), state);
      await saveSignInFlow(redis, { protocol: "saml", state, tenantId, returnTo }, binding);
      setCookie(c, signInCookies.saml.name, binding, { ...signInCookies.saml.options, maxAge: signInFlowTtlSeconds });
      return c.redirect(url, 302);
    }
    const { url, pending } = await authorizationUrl(provider, urls.redirectUri, config.IDENTITY_ALLOW_HTTP_ISSUERS).catch(asProblem);
    await saveSignInFlow(redis, { protocol: "oidc", ...pending, tenantId, returnTo }, binding);
    setCookie(c, signInCookies.oidc.name, binding, { ...signInCookies.oidc.options, maxAge: signInFlowTtlSeconds });
    return c.redirect(url.toString(), 302);
  })
  .openapi(callbackRoute, async (c) => {
    const { tenantId } = c.req.valid("param");
    const config = readConfig(c.env);
    const state = c.req.query("state") ?? "";
    const flow = await takeFlow(c, tenantId, "oidc", state);
    const provider = await requireProvider(c, tenantId, "oidc");
    const { redirectUri } = signInUrls(c.req.url, tenantId);
    const claims = await completeSignIn(provider, flow, new URL(c.req.url), redirectUri, config.IDENTITY_ALLOW_HTTP_ISSUERS).catch(
      asProblem,
    );
    return signInAs(c, tenantId, provider, claims, flow.returnTo);
  })
  .openapi(samlAcsRoute, async (c) => {
    const { tenantId } = c.req.valid("param");
    const { SAMLResponse, RelayState } = c.req.valid("form");
    const flow = await takeFlow(c, tenantId, "saml", RelayState);
    const provider = await requireProvider(c, tenantId, "saml");
    const claims = await completeSamlSignIn(provider, signInUrls(c.req.url, tenantId).saml, samlRequests(c), SAMLResponse).catch(asProblem);
    return signInAs(c, tenantId, provider, claims, flow.returnTo);
  })
  .openapi(samlMetadataRoute, async (c) => {
    const { tenantId } = c.req.valid("param");
    const provider = await requireProvider(c, tenantId, "saml");
    return c.body(samlServiceProviderMetadata(provider, signInUrls(c.req.url, tenantId).saml, samlRequests(c)), 200, {
      "content-type": "application/samlmetadata+xml",
    });
  });

/** node-saml's record of the sign-in requests we sent, in Redis so the response may reach any isolate. */
const samlRequests = (c: Context<AppEnv>) => new SamlRequestCache(identityRedis(readConfig(c.env)), signInFlowTtlSeconds);

/** The sign-in this state names, taken once; refused when unknown, used, expired, another browser's, tenant's or protocol's. */
async function takeFlow<P extends SignInFlow["protocol"]>(
  c: Context<AppEnv>,
  tenantId: string,
  protocol: P,
  state: string,
): Promise<Extract<SignInFlow, { protocol: P }>> {
  const cookie = signInCookies[protocol];
  const flow = await takeSignInFlow(identityRedis(readConfig(c.env)), state, getCookie(c, cookie.name, "host"));
  deleteCookie(c, cookie.name, cookie.options);
  if (!flow) throw new ApiError("sign_in_failed", "Unknown, used or expired sign-in, or one started in another browser: start again");
  if (flow.tenantId !== tenantId) throw new ApiError("sign_in_failed", "This sign-in was started for another tenant");
  if (flow.protocol !== protocol) throw new ApiError("sign_in_failed", "This sign-in was started with another protocol");
  return flow as Extract<SignInFlow, { protocol: P }>;
}

async function requireProvider<P extends IdentityProvider["protocol"]>(
  c: Context<AppEnv>,
  tenantId: TenantId,
  protocol: P,
): Promise<Extract<IdentityProvider, { protocol: P }>> {
  const provider = await findIdentityProvider(c.get("db"), await requireSecretsKey(c.env), tenantId);
  if (!provider) throw new ApiError("identity_provider_not_configured", "This tenant has no identity provider");
  // The tenant switched protocols since this sign-in started.
  if (provider.protocol !== protocol) throw new ApiError("sign_in_failed", "The tenant's identity provider has changed: start again");
  return provider as Extract<IdentityProvider, { protocol: P }>;
}

/** Every protocol ends here: the tenant's rules on the claims, the user (provisioned on first sign-in), a session. */
async function signInAs(
  c: Context<AppEnv>,
  tenantId: TenantId,
  provider: IdentityProvider,
  claims: Record<string, unknown> & { iss: string; sub: string },
  returnTo: string,
) {
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
  const { id } = await new SessionStore(identityRedis(readConfig(c.env))).create(user.id, tenantId);
  setSessionCookie(c, id);
  return c.redirect(returnTo, 303);
}

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
