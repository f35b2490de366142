import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { users } from "../../schema/index.ts";
import { samlIdpEntityId } from "../../scripts/services/saml-idp.ts";
import { BrowserClient } from "../support/browser-client.ts";
import { configureTenantSaml, postSamlResponse, samlServiceProviderOf, samlSignIn, samlSignInUntilPost } from "../support/saml-sign-in.ts";
import { api, newTenant, withDatabase, workerUrl, type Problem } from "../support/stack.ts";

type Tenant = Awaited<ReturnType<typeof newTenant>>;

const me = (browser: BrowserClient) => browser.request(`${workerUrl}/v1/me`);
const problem = async (response: Response) => (await response.json()) as Problem;
const usersOf = (tenantId: string) => withDatabase((db) => db.select().from(users).where(eq(users.tenantId, tenantId)));

describe("signing in through the tenant's SAML 2.0 provider (SimpleSAMLphp, run locally)", () => {
  let acme: Tenant;
  let other: Tenant;

  beforeAll(async () => {
    acme = await newTenant("saml acme");
    other = await newTenant("saml other");
    const configured = await configureTenantSaml(acme, {
      allowedEmailDomains: ["saml.test"],
      roleClaim: "groups",
      roleMapping: { "meeting-owners": "owner" },
    });
    expect(configured.status, await configured.clone().text()).toBe(200);
    expect((await configureTenantSaml(other)).status).toBe(200);
  });

  it("signs a person in through the provider's login form, provisions them with the mapped role, and sets the session cookie", async () => {
    const browser = new BrowserClient();
    const answer = await samlSignIn(browser, acme.tenantId, "owner", "/#tenant=x");
    expect(answer.status, await answer.clone().text()).toBe(303);
    expect(answer.headers.get("location")).toBe("/#tenant=x");
    expect(answer.headers.getSetCookie().join("\n")).toMatch(/__Host-em_session=[^;]+; .*HttpOnly/i);
    const who = (await (await me(browser)).json()) as { email: string; displayName: string; role: string; tenantId: string };
    expect(who).toMatchObject({ email: "owner@saml.test", displayName: "Sam Owner", role: "owner", tenantId: acme.tenantId });
    const [row] = (await usersOf(acme.tenantId)).filter((u) => u.email === "owner@saml.test");
    expect(row).toMatchObject({ idpIssuer: samlIdpEntityId, idpSubject: "owner@saml.test", role: "owner" });

    const member = new BrowserClient();
    expect((await samlSignIn(member, acme.tenantId, "member")).status).toBe(303);
    expect(await (await me(member)).json()).toMatchObject({ email: "member@saml.test", role: "member" });
  });

  it("refuses a response replayed, tampered with, or posted without the browser that started it", async () => {
    const browser = new BrowserClient();
    const post = await samlSignInUntilPost(browser, acme.tenantId, "member");
    const xml = Buffer.from(post.SAMLResponse, "base64").toString("utf8");
    expect(xml).toContain("member@saml.test");

    // Someone else's browser (no binding cookie) posting a response: refused, and that sign-in is spent.
    const planted = await samlSignInUntilPost(new BrowserClient(), acme.tenantId, "member");
    const elsewhere = await postSamlResponse(browser, planted);
    expect(elsewhere.status).toBe(401);
    expect((await problem(elsewhere)).code).toBe("sign_in_failed");

    // The browser that started it: signed in.
    expect((await postSamlResponse(browser, post)).status).toBe(303);

    // Tampered: who signed in changed after the provider signed it.
    const genuine = await samlSignInUntilPost(browser, acme.tenantId, "member");
    const forged = Buffer.from(
      Buffer.from(genuine.SAMLResponse, "base64").toString("utf8").replaceAll("member@saml.test", "owner@saml.test"),
    ).toString("base64");
    const tampered = await postSamlResponse(browser, genuine, { SAMLResponse: forged });
    expect(tampered.status).toBe(401);
    expect((await problem(tampered)).detail).toMatch(/SAML response refused: .*signature/i);

    // Replayed into a fresh sign-in of the same browser: it answers a request already answered (or never made).
    const fresh = await samlSignInUntilPost(browser, acme.tenantId, "member");
    const replayed = await postSamlResponse(browser, fresh, { SAMLResponse: post.SAMLResponse });
    expect(replayed.status).toBe(401);
    expect((await problem(replayed)).detail).toMatch(/InResponseTo/);
    // And the same post again: its sign-in was used.
    const again = await postSamlResponse(browser, post);
    expect(again.status).toBe(401);
    expect((await problem(again)).code).toBe("sign_in_failed");
  });

  it("refuses a response made for another tenant, and one signed by a key the tenant does not trust", async () => {
    // Both tenants use the same provider; the assertion names acme's service provider as its audience.
    const browser = new BrowserClient();
    const forAcme = await samlSignInUntilPost(browser, acme.tenantId, "member");
    const otherFlow = await samlSignInUntilPost(browser, other.tenantId, "member");
    const crossed = await postSamlResponse(browser, otherFlow, { SAMLResponse: forAcme.SAMLResponse });
    expect(crossed.status).toBe(401);
    expect((await problem(crossed)).detail).toMatch(/SAML response refused/);
    // Acme's response posted to acme's consumer but with the other tenant's sign-in state.
    const mixed = await postSamlResponse(browser, {
      ...forAcme,
      RelayState: (await samlSignInUntilPost(browser, other.tenantId, "member")).RelayState,
    });
    expect(mixed.status).toBe(401);
    expect((await problem(mixed)).detail).toMatch(/another tenant/);

    const wary = await newTenant("saml wary");
    expect((await configureTenantSaml(wary, { certificates: [strangerCertificate] })).status).toBe(200);
    const refused = await samlSignIn(new BrowserClient(), wary.tenantId, "member");
    expect(refused.status).toBe(401);
    expect((await problem(refused)).detail).toMatch(/SAML response refused/);
    expect(await usersOf(wary.tenantId)).toEqual([]);
  });

  it("refuses an email domain the tenant does not allow, provisioning nobody", async () => {
    const refused = await samlSignIn(new BrowserClient(), acme.tenantId, "outsider");
    expect(refused.status).toBe(403);
    expect((await problem(refused)).code).toBe("sign_in_refused");
    expect((await usersOf(acme.tenantId)).map((u) => u.email)).not.toContain("someone@elsewhere.test");
  });

  it("serves our service-provider metadata, and takes only a form at the assertion consumer", async () => {
    const sp = samlServiceProviderOf(acme.tenantId);
    const metadata = await fetch(sp.entityId);
    expect(metadata.status).toBe(200);
    expect(metadata.headers.get("content-type")).toContain("application/samlmetadata+xml");
    const xml = await metadata.text();
    expect(xml).toContain(`entityID="${sp.entityId}"`);
    expect(xml).toContain(`Location="${sp.acsUrl}"`);
    const json = await fetch(sp.acsUrl, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(json.status).toBe(415);
    const empty = await fetch(sp.acsUrl, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "" });
    expect(empty.status).toBe(400);
  });

  it("validates the SAML configuration: an https sign-on URL, real certificates; shows it back with our endpoints", async () => {
    const tenant = await newTenant("saml config");
    const put = (body: Record<string, unknown>) => api("/v1/identity-provider", { method: "PUT", key: tenant.apiKey, body });
    const base = {
      protocol: "saml",
      issuer: "https://idp.example.com/entity",
      ssoUrl: "https://idp.example.com/sso",
      certificates: [strangerCertificate],
    };
    expect((await put({ ...base, ssoUrl: "http://idp.example.com/sso" })).status).toBe(422);
    expect((await put({ ...base, certificates: ["not a certificate"] })).status).toBe(400);
    expect((await put({ ...base, certificates: [] })).status).toBe(400);
    expect((await put({ ...base, clientSecret: "an oidc field" })).status).toBe(400);
    const saved = await put(base);
    expect(saved.status).toBe(200);
    const view = await saved.json();
    expect(view).toMatchObject({
      protocol: "saml",
      issuer: base.issuer,
      ssoUrl: base.ssoUrl,
      saml: samlServiceProviderOf(tenant.tenantId),
      loginUrl: `${workerUrl}/v1/auth/${tenant.tenantId}/login`,
    });
    expect(view).not.toHaveProperty("clientId");
  });
});

/** A certificate the local provider does not sign with (generated once for these tests). */
const strangerCertificate = (await import("node:child_process"))
  .execSync('openssl req -x509 -newkey rsa:2048 -nodes -keyout /dev/null -days 1 -subj "/CN=stranger" 2>/dev/null')
  .toString();
