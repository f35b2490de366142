import * as oauth from "oauth4webapi";
import type { OidcProvider } from "./identity-provider-repository.ts";

/**
 * Our side of OpenID Connect sign-in (authorization code + PKCE, oauth4webapi): discovery, the authorization URL,
 * and the callback's checks — state, the code exchange with the PKCE verifier, the ID token's issuer, audience,
 * expiry and nonce, and its signature against the provider's JWKS. Per isolate, discovery documents are kept
 * `discoveryTtlMs` and each provider's JWKS is cached (oauth4webapi re-fetches it when a token names an unknown `kid`).
 */
const discoveryTtlMs = 10 * 60_000;
/** Tolerated clock difference with the provider for the ID token's `iat`/`exp` (oauth4webapi's default is 30 s). */
const clockToleranceSeconds = 5;
export const signInScopes = "openid email profile groups";

const discovered = new Map<string, { server: Promise<oauth.AuthorizationServer>; until: number }>();
const jwksCaches = new Map<string, oauth.JWKSCacheInput>();

export class SignInError extends Error {
  constructor(
    readonly reason: "provider_unreachable" | "authorization_denied" | "invalid_response",
    detail: string,
  ) {
    super(detail);
  }
}

/** http is allowed only for hosts the deployment lists (the local provider); everything else must be https. */
export function issuerAllowed(issuer: string, allowHttpHosts: readonly string[], options: { query?: boolean } = {}): boolean {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return false;
  }
  if ((url.search && !options.query) || url.hash || url.username || url.password) return false;
  return url.protocol === "https:" || (url.protocol === "http:" && allowHttpHosts.includes(url.hostname.toLowerCase()));
}

const httpOptions = (issuer: string, allowHttpHosts: readonly string[]) => ({
  [oauth.allowInsecureRequests]: new URL(issuer).protocol === "http:" && issuerAllowed(issuer, allowHttpHosts),
  signal: AbortSignal.timeout(5000),
});

export async function discover(issuer: string, allowHttpHosts: readonly string[], now = Date.now()): Promise<oauth.AuthorizationServer> {
  if (!issuerAllowed(issuer, allowHttpHosts)) throw new SignInError("invalid_response", "the issuer must be an https URL");
  const cached = discovered.get(issuer);
  if (cached && cached.until > now) return cached.server;
  const issuerUrl = new URL(issuer);
  const server = oauth
    .discoveryRequest(issuerUrl, { algorithm: "oidc", ...httpOptions(issuer, allowHttpHosts) })
    .then((response) => oauth.processDiscoveryResponse(issuerUrl, response));
  discovered.set(issuer, { server, until: now + discoveryTtlMs });
  try {
    return await server;
  } catch (error) {
    discovered.delete(issuer);
    throw new SignInError("provider_unreachable", `discovery of ${issuer} failed: ${describe(error)}`);
  }
}

/** What the callback needs back, kept server-side between the redirect and the callback (sign-in-flows.ts). */
export interface PendingSignIn {
  state: string;
  nonce: string;
  codeVerifier: string;
}

export async function authorizationUrl(provider: OidcProvider, redirectUri: string, allowHttpHosts: readonly string[]) {
  const server = await discover(provider.issuer, allowHttpHosts);
  if (!server.authorization_endpoint) throw new SignInError("invalid_response", "the provider has no authorization endpoint");
  const pending: PendingSignIn = {
    state: oauth.generateRandomState(),
    nonce: oauth.generateRandomNonce(),
    codeVerifier: oauth.generateRandomCodeVerifier(),
  };
  const url = new URL(server.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: provider.clientId,
    redirect_uri: redirectUri,
    scope: signInScopes,
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: await oauth.calculatePKCECodeChallenge(pending.codeVerifier),
    code_challenge_method: "S256",
  }).toString();
  return { url, pending };
}

/** The callback: every check passed, or a SignInError saying which failed. Returns the ID token's claims. */
export async function completeSignIn(
  provider: OidcProvider,
  pending: PendingSignIn,
  callbackUrl: URL,
  redirectUri: string,
  allowHttpHosts: readonly string[],
): Promise<Record<string, unknown> & { iss: string; sub: string }> {
  const server = await discover(provider.issuer, allowHttpHosts);
  const client: oauth.Client = { client_id: provider.clientId, [oauth.clockTolerance]: clockToleranceSeconds };
  let params: URLSearchParams;
  try {
    params = oauth.validateAuthResponse(server, client, callbackUrl, pending.state);
  } catch (error) {
    const denied = error instanceof oauth.AuthorizationResponseError;
    throw new SignInError(denied ? "authorization_denied" : "invalid_response", describe(error));
  }
  const options = httpOptions(provider.issuer, allowHttpHosts);
  try {
    const response = await oauth.authorizationCodeGrantRequest(
      server,
      client,
      oauth.ClientSecretBasic(provider.clientSecret),
      params,
      redirectUri,
      pending.codeVerifier,
      options,
    );
    const result = await oauth.processAuthorizationCodeResponse(server, client, response, {
      expectedNonce: pending.nonce,
      requireIdToken: true,
    });
    const jwks = jwksCaches.get(provider.issuer) ?? {};
    await oauth.validateApplicationLevelSignature(server, response, { ...options, [oauth.jwksCache]: jwks });
    jwksCaches.set(provider.issuer, jwks);
    const claims = oauth.getValidatedIdTokenClaims(result);
    if (!claims) throw new SignInError("invalid_response", "the provider returned no ID token");
    return claims as Record<string, unknown> & { iss: string; sub: string };
  } catch (error) {
    if (error instanceof SignInError) throw error;
    throw new SignInError("invalid_response", describe(error));
  }
}

function describe(error: unknown): string {
  if (error instanceof oauth.ResponseBodyError) return `${error.error}: ${error.error_description ?? "refused by the provider"}`;
  if (error instanceof oauth.AuthorizationResponseError) return `${error.error}: ${error.error_description ?? "refused by the provider"}`;
  return error instanceof Error ? error.message : "unknown failure";
}
