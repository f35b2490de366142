import { loadOrCreateSecrets } from "../../scripts/lib/local-config.ts";
import { oidcIssuer, registerOidcClient } from "../../scripts/services/oidc.ts";
import { BrowserClient, location } from "./browser-client.ts";
import { api, workerUrl } from "./stack.ts";

/** Registers a client for the tenant at the local provider and makes it the tenant's identity provider. */
export async function configureTenantIdp(
  tenant: { tenantId: string; apiKey: string },
  settings: Record<string, unknown> = {},
  clientMetadata: Record<string, unknown> = {},
): Promise<{ clientId: string; clientSecret: string; response: Response }> {
  const client = await registerOidcClient(
    await loadOrCreateSecrets(),
    [`${workerUrl}/v1/auth/${tenant.tenantId}/callback`],
    clientMetadata,
  );
  const response = await api("/v1/identity-provider", {
    method: "PUT",
    key: tenant.apiKey,
    body: { issuer: oidcIssuer, clientId: client.clientId, clientSecret: client.clientSecret, ...settings },
  });
  return { ...client, response };
}

/**
 * Starts a sign-in at our login route and goes through the local provider's login and consent pages as `login`,
 * up to the provider's redirect back to our callback, which it returns without requesting it.
 */
export async function signInUntilCallback(browser: BrowserClient, tenantId: string, login: string, returnTo = "/"): Promise<string> {
  let response = await browser.request(`${workerUrl}/v1/auth/${tenantId}/login?returnTo=${encodeURIComponent(returnTo)}`);
  if (response.status !== 302) throw new Error(`login answered ${response.status}: ${await response.text()}`);
  let url = location(response, workerUrl);
  for (let step = 0; step < 12; step++) {
    if (url.startsWith(`${workerUrl}/v1/auth/`)) return url;
    response = await browser.request(url);
    if (response.status >= 300 && response.status < 400) {
      url = location(response, url);
      continue;
    }
    const html = await response.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    const prompt = /name="prompt" value="([^"]+)"/.exec(html)?.[1];
    if (!action || !prompt) throw new Error(`the provider showed an unexpected page (${response.status}): ${html.slice(0, 300)}`);
    const form = new URLSearchParams({ prompt, ...(prompt === "login" ? { login, password: "any" } : {}) });
    response = await browser.request(new URL(action.replaceAll("&amp;", "&"), url).toString(), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form.toString(),
    });
    if (response.status < 300 || response.status >= 400)
      throw new Error(`the provider's form answered ${response.status}: ${await response.text()}`);
    url = location(response, url);
  }
  throw new Error("the sign-in never came back to our callback");
}

/** A whole sign-in: the callback's own answer (303 and the session cookie when it worked). */
export async function signIn(browser: BrowserClient, tenantId: string, login: string, returnTo = "/"): Promise<Response> {
  return browser.request(await signInUntilCallback(browser, tenantId, login, returnTo));
}

export const sessionCookieName = "__Host-em_session";
