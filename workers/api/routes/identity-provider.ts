import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { readConfig } from "../../env.ts";
import { identitySecretsKey } from "../../identity/identity-config.ts";
import {
  deleteIdentityProvider,
  findIdentityProvider,
  saveIdentityProvider,
  type IdentityProvider,
} from "../../identity/identity-provider-repository.ts";
import { discover, issuerAllowed } from "../../identity/oidc-relying-party.ts";
import type { AppEnv } from "../app-env.ts";
import { ApiError } from "../errors.ts";
import { validationHook } from "../middleware/validation-hook.ts";
import { IdentityProviderBody, IdentityProviderSchema } from "../schemas/identity.ts";
import { json, security } from "../schemas/openapi-parts.ts";
import { problemResponses } from "../schemas/problem.ts";

const tags = ["Sign-in"];

const putRoute = createRoute({
  method: "put",
  path: "/v1/identity-provider",
  tags,
  security,
  summary: "Set the tenant's identity provider, OpenID Connect or SAML 2.0 (its people sign in through it)",
  request: { body: { content: json(IdentityProviderBody), required: true } },
  responses: {
    200: { description: "Saved", content: json(IdentityProviderSchema) },
    ...problemResponses(400, 401, 404, 413, 415, 422),
  },
});
const getRoute = createRoute({
  method: "get",
  path: "/v1/identity-provider",
  tags,
  security,
  summary: "The tenant's identity provider (never an OpenID client secret)",
  responses: { 200: { description: "Configured", content: json(IdentityProviderSchema) }, ...problemResponses(401, 404) },
});
const deleteRoute = createRoute({
  method: "delete",
  path: "/v1/identity-provider",
  tags,
  security,
  summary: "Remove the tenant's identity provider (no new sign-ins; existing sessions run out)",
  responses: { 204: { description: "Removed" }, ...problemResponses(401, 404) },
});

/** The routes a tenant's people sign in through, on this request's own origin. */
export function signInUrls(requestUrl: string, tenantId: string) {
  const base = `${new URL(requestUrl).origin}/v1/auth/${tenantId}`;
  return {
    loginUrl: `${base}/login`,
    /** OpenID: register this redirect URI with the provider. */
    redirectUri: `${base}/callback`,
    /** SAML: our service provider for this tenant (the entity ID is where its metadata is served). */
    saml: { entityId: `${base}/saml/metadata`, acsUrl: `${base}/saml/acs` },
  };
}

export function requireSecretsKey(env: AppEnv["Bindings"]): Promise<CryptoKey> {
  const key = identitySecretsKey(readConfig(env));
  if (!key) throw new ApiError("identity_provider_not_configured", "Sign-in is not set up on this deployment (no IDENTITY_SECRETS_KEY)");
  return key;
}

export const identityProviderRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(putRoute, async (c) => {
    const body = c.req.valid("json");
    const allowHttp = readConfig(c.env).IDENTITY_ALLOW_HTTP_ISSUERS;
    if (body.protocol === "saml") {
      if (!issuerAllowed(body.ssoUrl, allowHttp, { query: true }))
        throw new ApiError("identity_provider_refused", "The SAML sign-on URL must be an https URL");
      const unreadable = body.certificates.findIndex((pem) => !readsAsCertificate(pem));
      if (unreadable >= 0) throw new ApiError("identity_provider_refused", `certificates[${unreadable}] is not an X.509 certificate`);
    } else {
      if (!issuerAllowed(body.issuer, allowHttp))
        throw new ApiError("identity_provider_refused", "The issuer must be an https URL without query or fragment");
      // Saved only once its discovery document answers for exactly this issuer, so a typo fails here, not at sign-in.
      await discover(body.issuer, allowHttp).catch((error: unknown) => {
        throw new ApiError("identity_provider_refused", error instanceof Error ? error.message : "discovery failed");
      });
    }
    const key = await requireSecretsKey(c.env);
    const tenantId = c.get("tenantId");
    await saveIdentityProvider(c.get("db"), key, tenantId, body);
    const saved = (await findIdentityProvider(c.get("db"), key, tenantId))!;
    return c.json(view(saved, c.req.url), 200);
  })
  .openapi(getRoute, async (c) => {
    const found = await findIdentityProvider(c.get("db"), await requireSecretsKey(c.env), c.get("tenantId"));
    if (!found) throw new ApiError("identity_provider_not_configured", "This tenant has no identity provider");
    return c.json(view(found, c.req.url), 200);
  })
  .openapi(deleteRoute, async (c) => {
    if (!(await deleteIdentityProvider(c.get("db"), c.get("tenantId")))) {
      throw new ApiError("identity_provider_not_configured", "This tenant has no identity provider");
    }
    return c.body(null, 204);
  });

function view(provider: IdentityProvider, requestUrl: string) {
  const urls = signInUrls(requestUrl, provider.tenantId);
  return {
    protocol: provider.protocol,
    issuer: provider.issuer,
    ...(provider.protocol === "oidc"
      ? { clientId: provider.clientId, redirectUri: urls.redirectUri }
      : {
          ssoUrl: provider.ssoUrl,
          certificates: [...provider.certificates],
          saml: { ...urls.saml, metadataUrl: urls.saml.entityId },
        }),
    allowedEmailDomains: [...provider.allowedEmailDomains],
    roleClaim: provider.roleClaim,
    roleMapping: { ...provider.roleMapping },
    defaultRole: provider.defaultRole,
    loginUrl: urls.loginUrl,
    updatedAt: provider.updatedAt.toISOString(),
  };
}

/** Whether a PEM block holds a DER certificate (its outer SEQUENCE); the signature checks do the rest at sign-in. */
function readsAsCertificate(pem: string): boolean {
  try {
    const der = atob(pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, "").replace(/\s+/g, ""));
    return der.length > 64 && der.charCodeAt(0) === 0x30;
  } catch {
    return false;
  }
}
