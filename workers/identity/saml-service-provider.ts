import { SAML, ValidateInResponseTo, type CacheProvider, type Profile } from "@node-saml/node-saml";
import type { SamlProvider } from "./identity-provider-repository.ts";
import { SignInError } from "./oidc-relying-party.ts";
import { signInFlowTtlSeconds } from "./sign-in-flows.ts";

/**
 * Our side of a tenant's SAML 2.0 sign-in (SP-initiated, HTTP-Redirect request, HTTP-POST response) with
 * `@node-saml/node-saml`, which runs on Workers under `nodejs_compat` as wrangler bundles it. Each tenant is its
 * own service provider: its entity ID and assertion consumer URL name the tenant, so an assertion made for one
 * tenant is refused at another's (audience and destination).
 */
export interface SamlEndpoints {
  entityId: string;
  acsUrl: string;
}

const emailFormat = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
/** The attributes an email or a display name commonly comes in (friendly names, then the standard OIDs). */
const emailAttributes = ["email", "mail", "emailAddress", "urn:oid:0.9.2342.19200300.100.1.3"];
const nameAttributes = ["displayName", "name", "cn", "urn:oid:2.16.840.1.113730.3.1.241", "urn:oid:2.5.4.3"];

function serviceProvider(provider: SamlProvider, endpoints: SamlEndpoints, requests: CacheProvider): SAML {
  return new SAML({
    entryPoint: provider.ssoUrl,
    issuer: endpoints.entityId,
    callbackUrl: endpoints.acsUrl,
    audience: endpoints.entityId,
    idpIssuer: provider.issuer,
    idpCert: provider.certificates,
    // The assertion (who signed in) must be signed by the provider; a signed response around it is checked too.
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: false,
    validateInResponseTo: ValidateInResponseTo.always,
    requestIdExpirationPeriodMs: signInFlowTtlSeconds * 1000,
    cacheProvider: requests,
    identifierFormat: emailFormat,
    acceptedClockSkewMs: 5_000,
    disableRequestedAuthnContext: true,
    signatureAlgorithm: "sha256",
  });
}

/** The provider's sign-in URL for a new request; `relayState` comes back with the response (our flow's state). */
export async function samlSignInUrl(
  provider: SamlProvider,
  endpoints: SamlEndpoints,
  requests: CacheProvider,
  relayState: string,
): Promise<string> {
  return serviceProvider(provider, endpoints, requests).getAuthorizeUrlAsync(relayState, undefined, {});
}

/**
 * The POSTed response, every check passed (signature by one of the tenant's certificates, issuer, audience,
 * destination, validity window, answering a request we sent and not answered before), as claims the sign-in rules
 * read: `iss`, `sub` (the NameID), `email`, `name`, and every attribute by name. The email counts as verified: the
 * tenant's administrator chose this provider as the authority for its people's addresses.
 */
export async function completeSamlSignIn(
  provider: SamlProvider,
  endpoints: SamlEndpoints,
  requests: CacheProvider,
  samlResponse: string,
): Promise<Record<string, unknown> & { iss: string; sub: string }> {
  let profile: Profile | null;
  try {
    ({ profile } = await serviceProvider(provider, endpoints, requests).validatePostResponseAsync({ SAMLResponse: samlResponse }));
  } catch (error) {
    throw new SignInError("invalid_response", `SAML response refused: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!profile?.nameID) throw new SignInError("invalid_response", "SAML response refused: no subject");
  const attributes = (profile.attributes ?? {}) as Record<string, unknown>;
  const first = (names: readonly string[]) => {
    for (const name of names) {
      const value = attributes[name] ?? profile[name];
      const single = Array.isArray(value) ? value[0] : value;
      if (typeof single === "string" && single.trim()) return single.trim();
    }
    return undefined;
  };
  const email = first(emailAttributes) ?? (profile.nameIDFormat === emailFormat ? profile.nameID : undefined);
  return {
    ...attributes,
    iss: profile.issuer,
    sub: profile.nameID,
    email,
    email_verified: email !== undefined,
    name: first(nameAttributes),
  };
}

/** Our service-provider metadata for the tenant's administrator to load into their identity provider. */
export function samlServiceProviderMetadata(provider: SamlProvider, endpoints: SamlEndpoints, requests: CacheProvider): string {
  return serviceProvider(provider, endpoints, requests).generateServiceProviderMetadata(null);
}
