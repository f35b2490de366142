import { describe, expect, it } from "vitest";
import { loadOrCreateSecrets } from "../../scripts/lib/local-config.ts";
import { oidcIssuer, oidcService, rotateOidcSigningKey } from "../../scripts/services/oidc.ts";
import { workerService } from "../../scripts/services/worker.ts";
import { BrowserClient } from "../support/browser-client.ts";
import { configureTenantIdp, signIn } from "../support/oidc-sign-in.ts";
import { newTenant, type Problem } from "../support/stack.ts";

/**
 * The provider rotates its signing key (the real oidc-provider, restarted with a new key first): the Worker holds
 * the old JWKS, so the next ID token names a `kid` it does not know. oauth4webapi fetches the JWKS again for an
 * unknown kid once the cached copy is a minute old (a cooldown, so forged kids can't make it hammer the provider):
 * within that minute the sign-in is refused with a clear problem, after it the new key is fetched and it succeeds.
 */
describe("a provider's signing-key rotation", () => {
  it("an ID token with an unknown kid is refused until the JWKS is fetched again, then accepted", { timeout: 150_000 }, async () => {
    const secrets = await loadOrCreateSecrets();
    // A fresh isolate, so the JWKS the first sign-in fetches is the one cached (an older copy would be fetched again
    // at once for the unknown kid, and the cooldown would not show).
    await workerService.down();
    await workerService.up(secrets);
    const tenant = await newTenant("oidc rotation");
    await configureTenantIdp(tenant);
    expect((await signIn(new BrowserClient(), tenant.tenantId, "rot@rotation.test")).status).toBe(303);
    const cachedAt = Date.now();

    const kid = await rotateOidcSigningKey();
    await oidcService.up(secrets);
    const published = (await (await fetch(`${oidcIssuer}/jwks`)).json()) as { keys: Array<{ kid: string }> };
    expect(published.keys.map((k) => k.kid)).toContain(kid);
    // The provider keeps its clients in memory: the tenant registers again, as after any provider restart.
    expect((await configureTenantIdp(tenant)).response.status).toBe(200);

    const early = await signIn(new BrowserClient(), tenant.tenantId, "rot@rotation.test");
    expect(early.status).toBe(401);
    expect(((await early.json()) as Problem).detail).toMatch(/no applicable keys/);

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, cachedAt + 62_000 - Date.now())));
    const later = await signIn(new BrowserClient(), tenant.tenantId, "rot@rotation.test");
    expect(later.status).toBe(303);
  });
});
