import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configureTenantIdp } from "../support/oidc-sign-in.ts";
import { newTenant, workerUrl } from "../support/stack.ts";
import { launchChromium } from "./browser.ts";

/**
 * A person signs in from the meeting page in headless Chromium: the page's sign-in link, the local OpenID
 * provider's own login and consent forms, back to the page signed in (the __Host- session cookie kept on
 * http://127.0.0.1, which Chromium treats as a secure context), with their name prefilled from their profile.
 */
describe("signing in from the meeting page (Chromium, the real provider)", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("sign in, come back signed in with the name prefilled, sign out", { timeout: 90_000 }, async () => {
    const tenant = await newTenant("page sign-in");
    await configureTenantIdp(tenant);
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${workerUrl}/#tenant=${tenant.tenantId}`);
    await page.getByTestId("sign-in-link").click();

    // The provider's own pages.
    await page.waitForSelector('input[name="login"]', { timeout: 15_000 });
    await page.fill('input[name="login"]', "page.person@page.test");
    await page.fill('input[name="password"]', "any");
    await page.click('button[type="submit"]');
    await page.waitForSelector('input[name="prompt"][value="consent"]', { state: "attached", timeout: 15_000 });
    await page.click('button[type="submit"]');

    // Back on the meeting page, signed in.
    const signedIn = page.getByTestId("signed-in-as");
    await signedIn.waitFor({ timeout: 15_000 });
    expect(new URL(page.url()).origin).toBe(workerUrl);
    expect(await signedIn.textContent()).toContain("page.person@page.test");
    expect(await page.getByTestId("name-input").inputValue()).toBe("Page Person");
    const cookie = (await context.cookies()).find((c) => c.name === "__Host-em_session");
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: "Lax", path: "/" });

    await page.getByTestId("sign-out-button").click();
    await page.getByTestId("sign-in-link").waitFor({ timeout: 15_000 });
    const me = await page.evaluate(async () => (await fetch("/v1/me")).status);
    expect(me).toBe(401);
    await context.close();
  });
});
