import { registerSamlServiceProvider, samlIdpCertificate, samlIdpEntityId, samlIdpSsoUrl } from "../../scripts/services/saml-idp.ts";
import { samlPassword } from "../../scripts/saml-idp/people.ts";
import { BrowserClient, location } from "./browser-client.ts";
import { api, workerUrl } from "./stack.ts";

/** Our service provider for the tenant, as the tenant's administrator would register it at their SAML provider. */
export const samlServiceProviderOf = (tenantId: string) => ({
  entityId: `${workerUrl}/v1/auth/${tenantId}/saml/metadata`,
  acsUrl: `${workerUrl}/v1/auth/${tenantId}/saml/acs`,
});

/** Registers the tenant at the local SAML provider (SimpleSAMLphp) and makes that provider the tenant's. */
export async function configureTenantSaml(tenant: { tenantId: string; apiKey: string }, settings: Record<string, unknown> = {}) {
  const sp = samlServiceProviderOf(tenant.tenantId);
  registerSamlServiceProvider(sp.entityId, sp.acsUrl);
  return api("/v1/identity-provider", {
    method: "PUT",
    key: tenant.apiKey,
    body: { protocol: "saml", issuer: samlIdpEntityId, ssoUrl: samlIdpSsoUrl, certificates: [samlIdpCertificate()], ...settings },
  });
}

/** What the provider's page would POST to our assertion consumer (its auto-submitting form), not yet posted. */
export interface SamlPost {
  action: string;
  SAMLResponse: string;
  RelayState: string;
}

const decode = (html: string) => html.replaceAll("&amp;", "&").replaceAll("&quot;", '"').replaceAll("&#039;", "'");
const hidden = (html: string, name: string) =>
  new RegExp(`<input[^>]*name="${name}"[^>]*value="([^"]*)"`).exec(html)?.[1] ??
  new RegExp(`<input[^>]*value="([^"]*)"[^>]*name="${name}"`).exec(html)?.[1];

/** The provider's auto-submitting form that carries its signed response back to us, if this page is it. */
function autoPostOf(html: string): SamlPost | undefined {
  const samlResponse = hidden(html, "SAMLResponse");
  if (!samlResponse) return undefined;
  const action = /<form[^>]*action="([^"]+)"/.exec(html)![1]!;
  return { action: decode(action), SAMLResponse: decode(samlResponse), RelayState: decode(hidden(html, "RelayState") ?? "") };
}

/**
 * Starts a sign-in at our login route and goes through SimpleSAMLphp's own login form as `username`, up to the
 * page that would POST the signed response back to us, which it returns.
 */
export async function samlSignInUntilPost(browser: BrowserClient, tenantId: string, username: string, returnTo = "/"): Promise<SamlPost> {
  let response = await browser.request(`${workerUrl}/v1/auth/${tenantId}/login?returnTo=${encodeURIComponent(returnTo)}`);
  if (response.status !== 302) throw new Error(`login answered ${response.status}: ${await response.text()}`);
  let url = location(response, workerUrl);
  for (let step = 0; step < 10; step++) {
    response = await browser.request(url);
    if (response.status >= 300 && response.status < 400) {
      url = location(response, url);
      continue;
    }
    const html = await response.text();
    const post = autoPostOf(html);
    if (post) return post;
    const authState = hidden(html, "AuthState");
    if (!authState) throw new Error(`the SAML provider showed an unexpected page (${response.status}): ${html.slice(0, 400)}`);
    const action = /<form[^>]*action="([^"]*)"/.exec(html)?.[1] ?? "";
    response = await browser.request(new URL(decode(action) || url, url).toString(), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ username, password: samlPassword, AuthState: decode(authState) }).toString(),
    });
    if (response.status >= 300 && response.status < 400) {
      url = location(response, url);
      continue;
    }
    const page = await response.text();
    const posted = autoPostOf(page);
    if (!posted) throw new Error(`the SAML provider's login answered ${response.status}: ${page.slice(0, 400)}`);
    return posted;
  }
  throw new Error("the SAML sign-in never reached the POST back");
}

/** POSTs the provider's response to our assertion consumer as the browser would; `change` tampers with it first. */
export function postSamlResponse(browser: BrowserClient, post: SamlPost, change: Partial<SamlPost> = {}): Promise<Response> {
  const { action, ...fields } = { ...post, ...change };
  return browser.request(action, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString(),
  });
}

/** A whole SAML sign-in: the assertion consumer's own answer (303 and the session cookie when it worked). */
export async function samlSignIn(browser: BrowserClient, tenantId: string, username: string, returnTo = "/"): Promise<Response> {
  return postSamlResponse(browser, await samlSignInUntilPost(browser, tenantId, username, returnTo));
}
