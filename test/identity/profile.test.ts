import { beforeAll, describe, expect, it } from "vitest";
import { BrowserClient } from "../support/browser-client.ts";
import { configureTenantIdp, signIn } from "../support/oidc-sign-in.ts";
import { newTenant, workerUrl, type Problem } from "../support/stack.ts";

interface Me {
  id: string;
  displayName: string | null;
  timeZone: string | null;
  locale: string | null;
  avatarUrl: string | null;
  preferences: Record<string, unknown>;
  csrfToken: string;
}

/** A 1×1 PNG. */
const png = Uint8Array.from(atob("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="), (c) =>
  c.charCodeAt(0),
);

describe("the signed-in person's profile and preferences (/v1/me)", () => {
  let tenantId: string;
  const browser = new BrowserClient();
  let me: Me;
  const call = (method: string, path: string, body?: unknown, csrf = me.csrfToken) =>
    browser.request(`${workerUrl}${path}`, {
      method,
      headers: { "x-csrf-token": csrf, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });

  beforeAll(async () => {
    const tenant = await newTenant("profile");
    tenantId = tenant.tenantId;
    await configureTenantIdp(tenant);
    await signIn(browser, tenantId, "pia.lund@profile.test");
    me = (await (await browser.request(`${workerUrl}/v1/me`)).json()) as Me;
  });

  it("starts from the provider's name and default preferences", () => {
    expect(me).toMatchObject({
      displayName: "Pia Lund",
      timeZone: null,
      locale: null,
      avatarUrl: null,
      preferences: { joinWithCameraOff: false, joinWithMicrophoneOff: false, defaultLayout: "grid", captionsLanguage: null },
    });
  });

  it("changes profile fields and merges preferences", async () => {
    const first = await call("PATCH", "/v1/me", { timeZone: "Europe/Oslo", locale: "nb-NO", preferences: { joinWithCameraOff: true } });
    expect(first.status).toBe(200);
    const second = (await (
      await call("PATCH", "/v1/me", { displayName: "Pia L.", preferences: { defaultLayout: "speaker" } })
    ).json()) as Me;
    expect(second).toMatchObject({
      displayName: "Pia L.",
      timeZone: "Europe/Oslo",
      locale: "nb-NO",
      preferences: { joinWithCameraOff: true, joinWithMicrophoneOff: false, defaultLayout: "speaker" },
    });
  });

  it("refuses bad values with a clear problem, and changes without the CSRF token", async () => {
    for (const body of [
      { timeZone: "Mars/Olympus" },
      { locale: "not a locale!" },
      { preferences: { defaultLayout: "mosaic" } },
      { role: "owner" },
      { displayName: "" },
    ]) {
      const refused = await call("PATCH", "/v1/me", body);
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(((await refused.json()) as Problem).code).toBe("validation_failed");
    }
    expect((await call("PATCH", "/v1/me", { displayName: "x" }, "")).status).toBe(403);
  });

  it("uploads an avatar through a presigned URL that signs its type and size, and shows it through a short-lived link", async () => {
    expect((await call("POST", "/v1/me/avatar-upload", { contentType: "image/svg+xml", sizeBytes: 100 })).status).toBe(400);
    expect((await call("POST", "/v1/me/avatar-upload", { contentType: "image/png", sizeBytes: 3 * 1024 * 1024 })).status).toBe(400);
    const upload = (await (await call("POST", "/v1/me/avatar-upload", { contentType: "image/png", sizeBytes: png.byteLength })).json()) as {
      avatarKey: string;
      uploadUrl: string;
    };
    // Another type than the one signed is refused by S3 itself.
    expect((await fetch(upload.uploadUrl, { method: "PUT", headers: { "content-type": "text/html" }, body: png })).ok).toBe(false);
    // A key under the user's prefix that was never uploaded is refused.
    const notUploaded = upload.avatarKey.replace(/[0-9a-f-]{36}/, crypto.randomUUID());
    expect((await call("PATCH", "/v1/me", { avatarKey: notUploaded })).status).toBe(400);
    expect((await fetch(upload.uploadUrl, { method: "PUT", headers: { "content-type": "image/png" }, body: png })).ok).toBe(true);
    const updated = (await (await call("PATCH", "/v1/me", { avatarKey: upload.avatarKey })).json()) as Me;
    const picture = await fetch(updated.avatarUrl!);
    expect(picture.ok).toBe(true);
    expect(new Uint8Array(await picture.arrayBuffer())).toEqual(png);
  });

  it("never takes another user's object as an avatar", async () => {
    const other = new BrowserClient();
    await signIn(other, tenantId, "quinn@profile.test");
    const otherMe = (await (await other.request(`${workerUrl}/v1/me`)).json()) as Me;
    const theirKey = `avatars/${tenantId}/${otherMe.id}/${crypto.randomUUID()}.png`;
    const refused = await call("PATCH", "/v1/me", { avatarKey: theirKey });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as Problem).detail).toMatch(/not one of your uploads/);
  });

  it("is a signed-in person's route: an API key has no /v1/me", async () => {
    const tenant = await newTenant("profile key");
    const answer = await fetch(`${workerUrl}/v1/me`, { headers: { authorization: `Bearer ${tenant.apiKey}` } });
    expect(answer.status).toBe(401);
  });
});
