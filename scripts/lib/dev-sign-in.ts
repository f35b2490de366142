import { oidcIssuer, registerOidcClient } from "../services/oidc.ts";
import { workerUrl } from "../services/worker.ts";
import type { LocalSecrets } from "./local-config.ts";

/**
 * Makes the local OpenID provider the dev tenant's identity provider, as a tenant's admin would: a client registered
 * at the provider (its registrations live in memory, so each start registers anew), then PUT /v1/identity-provider
 * with the tenant's key. `owner.*` and `admin.*` logins get those roles at their first sign-in.
 */
export async function connectDevSignIn(secrets: LocalSecrets, tenant: { tenantId: string; apiKey: string }): Promise<string> {
  const client = await registerOidcClient(secrets, [`${workerUrl}/v1/auth/${tenant.tenantId}/callback`]);
  const response = await fetch(`${workerUrl}/v1/identity-provider`, {
    method: "PUT",
    headers: { authorization: `Bearer ${tenant.apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({
      issuer: oidcIssuer,
      clientId: client.clientId,
      clientSecret: client.clientSecret,
      roleClaim: "groups",
      roleMapping: { "meeting-owners": "owner", "meeting-admins": "admin" },
    }),
  });
  if (!response.ok) throw new Error(`setting the dev tenant's identity provider answered ${response.status}: ${await response.text()}`);
  return `${workerUrl}/v1/auth/${tenant.tenantId}/login`;
}
