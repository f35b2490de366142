import { Redis } from "@upstash/redis";
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { users } from "../../schema/index.ts";
import { host, loadOrCreateSecrets, ports } from "../../scripts/lib/local-config.ts";
import { oidcIssuer } from "../../scripts/services/oidc.ts";
import { sha256Hex } from "../../workers/crypto/sha256-hex.ts";
import { BrowserClient } from "../support/browser-client.ts";
import { configureTenantIdp, sessionCookieName, signIn, signInUntilCallback } from "../support/oidc-sign-in.ts";
import { api, newTenant, withDatabase, workerUrl, type Problem } from "../support/stack.ts";

type Tenant = Awaited<ReturnType<typeof newTenant>>;

const me = (browser: BrowserClient) => browser.request(`${workerUrl}/v1/me`);
const problem = async (response: Response) => (await response.json()) as Problem;

describe("signing in through the tenant's OpenID provider (the real local oidc-provider)", () => {
  let acme: Tenant;
  let other: Tenant;

  beforeAll(async () => {
    acme = await newTenant("oidc acme");
    other = await newTenant("oidc other");
    const configured = await configureTenantIdp(acme, {
      allowedEmailDomains: ["acme.test"],
      roleClaim: "groups",
      roleMapping: { "meeting-owners": "owner", "meeting-admins": "admin" },
    });
    expect(configured.response.status).toBe(200);
    expect((await configureTenantIdp(other)).response.status).toBe(200);
  });

  it("signs a person in, provisions them just in time with the mapped role, and sets a __Host- session cookie", async () => {
    const browser = new BrowserClient();
    const callback = await signIn(browser, acme.tenantId, "admin.ana@acme.test", "/meetings/42?join=1");
    expect(callback.status).toBe(303);
    expect(callback.headers.get("location")).toBe("/meetings/42?join=1");
    const cookie = callback.headers.getSetCookie().find((line) => line.startsWith(`${sessionCookieName}=`))!;
    expect(cookie).toMatch(/; Path=\//);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).not.toMatch(/Domain=/i);

    const answer = await me(browser);
    expect(answer.status).toBe(200);
    const who = (await answer.json()) as { email: string; role: string; tenantId: string; displayName: string; csrfToken: string };
    expect(who).toMatchObject({ email: "admin.ana@acme.test", role: "admin", tenantId: acme.tenantId, displayName: "Admin Ana" });
    expect(who.csrfToken.length).toBeGreaterThan(20);

    // A second sign-in is the same user; the role is kept as the tenant has it, not re-derived.
    await withDatabase((db) => db.update(users).set({ role: "member" }).where(eq(users.email, "admin.ana@acme.test")));
    const again = new BrowserClient();
    expect((await signIn(again, acme.tenantId, "admin.ana@acme.test")).status).toBe(303);
    expect(await (await me(again)).json()).toMatchObject({ id: (who as unknown as { id: string }).id, role: "member" });
  });

  it("gives the default role when no mapped group is present, and the strongest mapped one otherwise", async () => {
    const member = new BrowserClient();
    await signIn(member, acme.tenantId, "bo@acme.test");
    expect(await (await me(member)).json()).toMatchObject({ role: "member" });
    const owner = new BrowserClient();
    await signIn(owner, acme.tenantId, "owner.cy@acme.test");
    expect(await (await me(owner)).json()).toMatchObject({ role: "owner" });
  });

  it("refuses an email domain the tenant does not allow, and an unverified email, provisioning nobody", async () => {
    for (const login of ["dee@elsewhere.test", "unverified.eve@acme.test"]) {
      const browser = new BrowserClient();
      const refused = await signIn(browser, acme.tenantId, login);
      expect(refused.status).toBe(403);
      expect(refused.headers.get("content-type")).toContain("application/problem+json");
      expect((await problem(refused)).code).toBe("sign_in_refused");
      expect(refused.headers.getSetCookie().some((line) => line.startsWith(`${sessionCookieName}=`))).toBe(false);
    }
    const rows = await withDatabase((db) => db.select().from(users).where(eq(users.tenantId, acme.tenantId)));
    expect(rows.map((r) => r.email)).not.toContain("dee@elsewhere.test");
  });

  it("refuses a tampered state, a replayed callback, and a callback without the browser that started it", async () => {
    const browser = new BrowserClient();
    const callback = await signInUntilCallback(browser, acme.tenantId, "fay@acme.test");
    const tampered = new URL(callback);
    tampered.searchParams.set("state", `${tampered.searchParams.get("state")}x`);
    const refused = await browser.request(tampered.toString());
    expect(refused.status).toBe(401);
    expect((await problem(refused)).code).toBe("sign_in_failed");

    const stranger = new BrowserClient();
    const unbound = await signInUntilCallback(stranger, acme.tenantId, "fay@acme.test");
    const planted = await new BrowserClient().request(unbound);
    expect(planted.status).toBe(401);
    // The flow was taken by the planted request: the right browser can't use it after that either.
    expect((await stranger.request(unbound)).status).toBe(401);

    const honest = new BrowserClient();
    const url = await signInUntilCallback(honest, acme.tenantId, "fay@acme.test");
    expect((await honest.request(url)).status).toBe(303);
    const replayed = await honest.request(url);
    expect(replayed.status).toBe(401);
    expect((await problem(replayed)).code).toBe("sign_in_failed");
  });

  it("refuses a code replayed into a fresh sign-in (the provider and PKCE both refuse it)", async () => {
    const browser = new BrowserClient();
    const first = await signInUntilCallback(browser, acme.tenantId, "gus@acme.test");
    expect((await browser.request(first)).status).toBe(303);
    const second = new URL(await signInUntilCallback(browser, acme.tenantId, "gus@acme.test"));
    second.searchParams.set("code", new URL(first).searchParams.get("code")!);
    const refused = await browser.request(second.toString());
    expect(refused.status).toBe(401);
    expect((await problem(refused)).detail).toMatch(/invalid_grant/);
  });

  it("refuses an ID token whose nonce is not the one sent, and a code exchanged without its PKCE verifier", async () => {
    const redis = new Redis({ url: `http://${host}:${ports.upstashBridge}`, token: (await loadOrCreateSecrets()).upstashToken });
    /** What an attacker who swapped the sign-in's server-side record would achieve: a flow with other secrets. */
    const alterFlow = async (callback: string, change: (flow: Record<string, unknown>) => Record<string, unknown>) => {
      const key = `oidc-flow:v1:${await sha256Hex(new URL(callback).searchParams.get("state")!)}`;
      const flow = (await redis.get(key)) as Record<string, unknown>;
      await redis.set(key, change(flow), { ex: 600 });
    };
    const browser = new BrowserClient();
    const nonceCallback = await signInUntilCallback(browser, acme.tenantId, "lee@acme.test");
    await alterFlow(nonceCallback, (flow) => ({ ...flow, nonce: "another-nonce-than-the-one-sent" }));
    const wrongNonce = await browser.request(nonceCallback);
    expect(wrongNonce.status).toBe(401);
    expect((await problem(wrongNonce)).detail).toMatch(/nonce/);

    const verifierCallback = await signInUntilCallback(browser, acme.tenantId, "lee@acme.test");
    await alterFlow(verifierCallback, (flow) => ({ ...flow, codeVerifier: "a".repeat(43) }));
    const wrongVerifier = await browser.request(verifierCallback);
    expect(wrongVerifier.status).toBe(401);
    expect((await problem(wrongVerifier)).detail).toMatch(/invalid_grant/);

    const missingCallback = await signInUntilCallback(browser, acme.tenantId, "lee@acme.test");
    await alterFlow(missingCallback, ({ codeVerifier: _, ...flow }) => flow);
    const missing = await browser.request(missingCallback);
    expect(missing.status).toBe(401);
    expect((await problem(missing)).code).toBe("sign_in_failed");
    expect((await me(browser)).status).toBe(401);
  });

  it("refuses a signed ID token that expired, was issued to another client, or names another issuer", async () => {
    // Each tenant's client is registered with a fault its ID tokens carry: the provider signs them with its own
    // published key, so only the relying party's claim checks stand between them and a session.
    for (const [fault, refusal] of [
      ["expired", /"exp" \(expiration time\) claim value, expiration is past/],
      ["foreign_audience", /"aud" \(audience\) claim value/],
      ["foreign_issuer", /"iss" \(issuer\) claim value/],
    ] as const) {
      const tenant = await newTenant(`oidc ${fault}`);
      expect((await configureTenantIdp(tenant, {}, { test_id_token_fault: fault })).response.status).toBe(200);
      const browser = new BrowserClient();
      const refused = await signIn(browser, tenant.tenantId, "kim@example.test");
      expect(refused.status, fault).toBe(401);
      const body = await problem(refused);
      expect(body.code, fault).toBe("sign_in_failed");
      expect(body.detail, fault).toMatch(refusal);
      expect((await me(browser)).status, fault).toBe(401);
      const rows = await withDatabase((db) => db.select().from(users).where(eq(users.tenantId, tenant.tenantId)));
      expect(rows, fault).toEqual([]);
    }
  });

  it("refuses a sign-in started for one tenant and brought back to another's callback", async () => {
    const browser = new BrowserClient();
    const callback = new URL(await signInUntilCallback(browser, acme.tenantId, "hal@acme.test"));
    const elsewhere = `${workerUrl}/v1/auth/${other.tenantId}/callback${callback.search}`;
    const refused = await browser.request(elsewhere);
    expect(refused.status).toBe(401);
    expect((await problem(refused)).detail).toMatch(/another tenant/);
    const rows = await withDatabase((db) => db.select().from(users).where(eq(users.tenantId, other.tenantId)));
    expect(rows).toEqual([]);
  });

  it("a person of one tenant signing in through another tenant's provider becomes that tenant's user only", async () => {
    const browser = new BrowserClient();
    await signIn(browser, other.tenantId, "ivy@acme.test");
    const who = (await (await me(browser)).json()) as { tenantId: string; id: string };
    expect(who.tenantId).toBe(other.tenantId);
    const inAcme = await withDatabase((db) => db.select().from(users).where(eq(users.id, who.id)));
    expect(inAcme.map((r) => r.tenantId)).toEqual([other.tenantId]);
  });

  it("a session past its rotation age gets a new id at its next use; the old id lasts the grace only; revocation is at once", async () => {
    const redis = new Redis({ url: `http://${host}:${ports.upstashBridge}`, token: (await loadOrCreateSecrets()).upstashToken });
    const sessionKey = async (id: string) => `session:v1:${await sha256Hex(id)}`;
    /** Moves a session's clock, as time passing would (the store decides by these times alone). */
    const age = async (id: string, change: (session: Record<string, number>) => Record<string, number>) => {
      const key = await sessionKey(id);
      await redis.set(key, change((await redis.get(key)) as Record<string, number>), { px: 600_000 });
    };
    const withCookie = (id: string) => fetch(`${workerUrl}/v1/me`, { headers: { cookie: `${sessionCookieName}=${id}` } });

    const browser = new BrowserClient();
    await signIn(browser, acme.tenantId, "rosa@acme.test");
    const first = browser.cookies(workerUrl).get(sessionCookieName)!;
    const { csrfToken } = (await (await me(browser)).json()) as { csrfToken: string };
    await age(first, (session) => ({ ...session, issuedAt: Date.now() - 11 * 60_000 }));

    const rotating = await me(browser);
    expect(rotating.status).toBe(200);
    expect(rotating.headers.getSetCookie().join("\n")).toMatch(new RegExp(`${sessionCookieName}=[^;]+;.*HttpOnly`, "i"));
    const second = browser.cookies(workerUrl).get(sessionCookieName)!;
    expect(second).not.toBe(first);
    // The CSRF token belongs to the session, not the id: it survives rotation.
    expect(((await rotating.json()) as { csrfToken: string }).csrfToken).toBe(csrfToken);
    // Requests already in flight with the old id still work for the grace...
    expect((await withCookie(first)).status).toBe(200);
    // ...and not after it.
    await age(first, (session) => ({ ...session, retiresAt: Date.now() - 1 }));
    expect((await withCookie(first)).status).toBe(401);
    expect((await withCookie(second)).status).toBe(200);

    // Idle for longer than the idle limit, or older than the absolute one: gone.
    const idle = new BrowserClient();
    await signIn(idle, acme.tenantId, "rosa@acme.test");
    const idleId = idle.cookies(workerUrl).get(sessionCookieName)!;
    await age(idleId, (session) => ({ ...session, lastSeenAt: Date.now() - 31 * 60_000 }));
    expect((await withCookie(idleId)).status).toBe(401);
    const old = new BrowserClient();
    await signIn(old, acme.tenantId, "rosa@acme.test");
    const oldId = old.cookies(workerUrl).get(sessionCookieName)!;
    await age(oldId, (session) => ({ ...session, createdAt: Date.now() - 13 * 3_600_000 }));
    expect((await withCookie(oldId)).status).toBe(401);

    // Signing out revokes the rotated session at once.
    expect((await browser.request(`${workerUrl}/v1/auth/logout`, { method: "POST", headers: { "x-csrf-token": csrfToken } })).status).toBe(
      204,
    );
    expect((await withCookie(second)).status).toBe(401);
  });

  it("state-changing session requests need the CSRF token; signing out ends the session at once", async () => {
    const browser = new BrowserClient();
    await signIn(browser, acme.tenantId, "jo@acme.test");
    const { csrfToken } = (await (await me(browser)).json()) as { csrfToken: string };
    const forged = await browser.request(`${workerUrl}/v1/auth/logout`, { method: "POST" });
    expect(forged.status).toBe(403);
    expect((await problem(forged)).code).toBe("csrf_token_invalid");
    const wrong = await browser.request(`${workerUrl}/v1/auth/logout`, { method: "POST", headers: { "x-csrf-token": `${csrfToken}x` } });
    expect(wrong.status).toBe(403);
    const kept = browser.cookies(workerUrl).get(sessionCookieName)!;
    const out = await browser.request(`${workerUrl}/v1/auth/logout`, { method: "POST", headers: { "x-csrf-token": csrfToken } });
    expect(out.status).toBe(204);
    expect((await me(browser)).status).toBe(401);
    // The old cookie value, replayed, is dead too.
    browser.cookies(workerUrl).set(sessionCookieName, kept);
    expect((await me(browser)).status).toBe(401);
  });

  it("signing out everywhere ends every session of the person; deactivation ends them and refuses the next sign-in", async () => {
    const laptop = new BrowserClient();
    const phone = new BrowserClient();
    await signIn(laptop, acme.tenantId, "kim@acme.test");
    await signIn(phone, acme.tenantId, "kim@acme.test");
    const { csrfToken } = (await (await me(laptop)).json()) as { csrfToken: string };
    const out = await laptop.request(`${workerUrl}/v1/auth/logout-everywhere`, { method: "POST", headers: { "x-csrf-token": csrfToken } });
    expect(await out.json()).toEqual({ signedOut: 2 });
    expect((await me(phone)).status).toBe(401);

    await signIn(phone, acme.tenantId, "kim@acme.test");
    expect((await me(phone)).status).toBe(200);
    await withDatabase((db) => db.update(users).set({ status: "deactivated" }).where(eq(users.email, "kim@acme.test")));
    expect((await me(phone)).status).toBe(401);
    const refused = await signIn(new BrowserClient(), acme.tenantId, "kim@acme.test");
    expect(refused.status).toBe(403);
    expect((await problem(refused)).detail).toMatch(/deactivated/);
  });

  it("no session: 401; a made-up session cookie: 401", async () => {
    expect((await me(new BrowserClient())).status).toBe(401);
    const browser = new BrowserClient();
    browser.cookies(workerUrl).set(sessionCookieName, "made-up");
    const answer = await me(browser);
    expect(answer.status).toBe(401);
    expect((await problem(answer)).code).toBe("unauthorized");
  });
});

describe("configuring the tenant's identity provider", () => {
  it("refuses an issuer that is not https, or that serves no discovery document for itself; never shows the secret", async () => {
    const tenant = await newTenant("oidc config");
    const base = { clientId: "c", clientSecret: "s" };
    const insecure = await api("/v1/identity-provider", {
      method: "PUT",
      key: tenant.apiKey,
      body: { ...base, issuer: "http://login.example.test" },
    });
    expect(insecure.status).toBe(422);
    // The provider serves its discovery for its own issuer only: one with a path is another issuer, and answers nothing.
    const elsewhere = await api("/v1/identity-provider", {
      method: "PUT",
      key: tenant.apiKey,
      body: { ...base, issuer: `${oidcIssuer}/other` },
    });
    expect(elsewhere.status).toBe(422);
    expect(((await elsewhere.json()) as Problem).code).toBe("identity_provider_refused");
    const noClaim = await api("/v1/identity-provider", {
      method: "PUT",
      key: tenant.apiKey,
      body: { ...base, issuer: oidcIssuer, roleMapping: { x: "admin" } },
    });
    expect(noClaim.status).toBe(400);

    const { clientSecret } = await configureTenantIdp(tenant);
    const shown = await api("/v1/identity-provider", { key: tenant.apiKey });
    expect(shown.status).toBe(200);
    const text = await shown.text();
    expect(text).not.toContain(clientSecret);
    expect(JSON.parse(text)).toMatchObject({ issuer: oidcIssuer, redirectUri: `${workerUrl}/v1/auth/${tenant.tenantId}/callback` });

    // Another tenant's key sees its own (absent) configuration, never this one.
    const stranger = await newTenant("oidc stranger");
    expect((await api("/v1/identity-provider", { key: stranger.apiKey })).status).toBe(404);
    expect((await api("/v1/identity-provider", { method: "DELETE", key: stranger.apiKey })).status).toBe(404);
    expect((await api("/v1/identity-provider", { method: "DELETE", key: tenant.apiKey })).status).toBe(204);
    expect((await new BrowserClient().request(`${workerUrl}/v1/auth/${tenant.tenantId}/login`)).status).toBe(404);
  });

  it("stores the client secret sealed to its tenant", async () => {
    const tenant = await newTenant("oidc sealed");
    const { clientSecret } = await configureTenantIdp(tenant);
    const { tenantIdentityProviders } = await import("../../schema/index.ts");
    const [row] = await withDatabase((db) =>
      db.select().from(tenantIdentityProviders).where(eq(tenantIdentityProviders.tenantId, tenant.tenantId)),
    );
    expect(row!.clientSecretSealed).toMatch(/^v1\./);
    expect(row!.clientSecretSealed).not.toContain(clientSecret);
  });
});
