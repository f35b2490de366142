import { beforeAll, describe, expect, it } from "vitest";
import { api, newTenant, workerUrl, type Problem } from "../support/stack.ts";

type Tenant = Awaited<ReturnType<typeof newTenant>>;
type UserView = { id: string; email: string; role: string; status: string };

describe("the users API refuses bad input with a clear problem and stays inside the tenant", () => {
  let acme: Tenant;
  let other: Tenant;
  const invite = (tenant: Tenant, body: unknown) => api("/v1/users", { method: "POST", key: tenant.apiKey, body });

  beforeAll(async () => {
    acme = await newTenant("users api acme");
    other = await newTenant("users api other");
  });

  it("refuses a malformed invite field by field", async () => {
    for (const [body, path] of [
      [{ email: "not-an-email" }, "email"],
      [{ email: `${"x".repeat(250)}@a.test` }, "email"],
      [{ email: "ok@users.test", role: "superuser" }, "role"],
      [{ email: "ok@users.test", admin: true }, ""],
      [{}, "email"],
    ] as const) {
      const response = await invite(acme, body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      const problem = (await response.json()) as Problem & { issues?: Array<{ path: string }> };
      expect(problem.code).toBe("validation_failed");
      if (path) expect(problem.issues?.map((e) => e.path)).toContain(path);
    }
    const text = await fetch(`${workerUrl}/v1/users`, {
      method: "POST",
      headers: { authorization: `Bearer ${acme.apiKey}`, "content-type": "text/plain" },
      body: "email=a@b.test",
    });
    expect(text.status).toBe(415);
  });

  it("pages the tenant's users with a cursor, without gaps or repeats, and refuses a forged cursor", async () => {
    const emails = ["ana", "bo", "cy"].map((name) => `${name}.${crypto.randomUUID().slice(0, 6)}@users.test`);
    for (const email of emails) expect((await invite(acme, { email: email.toUpperCase() })).status).toBe(201);
    expect((await invite(other, { email: "stranger@users.test" })).status).toBe(201);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await api(`/v1/users?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, { key: acme.apiKey });
      expect(page.status).toBe(200);
      const body = (await page.json()) as { data: UserView[]; nextCursor: string | null };
      expect(body.data.length).toBeLessThanOrEqual(2);
      seen.push(...body.data.map((u) => u.email));
      cursor = body.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining(emails));
    expect(seen).not.toContain("stranger@users.test");
    expect((await api("/v1/users?cursor=forged", { key: acme.apiKey })).status).toBe(400);
    expect((await api("/v1/users?limit=0", { key: acme.apiKey })).status).toBe(400);
  });

  it("refuses a second user with the same email, and bad or foreign ids on change and deactivation", async () => {
    const email = `dup.${crypto.randomUUID().slice(0, 6)}@users.test`;
    const created = (await (await invite(acme, { email })).json()) as UserView;
    const again = await invite(acme, { email: email.toUpperCase() });
    expect(again.status).toBe(403);
    expect(((await again.json()) as Problem).detail).toMatch(/already has a user with this email/);

    const foreign = (await (await invite(other, { email: `f.${crypto.randomUUID().slice(0, 6)}@users.test` })).json()) as UserView;
    const patch = (tenant: Tenant, id: string, body: unknown) => api(`/v1/users/${id}`, { method: "PATCH", key: tenant.apiKey, body });
    expect((await patch(acme, "not-a-uuid", { role: "admin" })).status).toBe(400);
    expect((await patch(acme, created.id, {})).status).toBe(400);
    expect((await patch(acme, created.id, { role: "root" })).status).toBe(400);
    expect((await patch(acme, created.id, { role: "admin", status: "active" })).status).toBe(400);
    expect((await patch(acme, crypto.randomUUID(), { role: "admin" })).status).toBe(404);
    // Another tenant's user is not there at all, for reads and writes alike.
    expect((await patch(acme, foreign.id, { role: "admin" })).status).toBe(404);
    expect((await api(`/v1/users/${foreign.id}/deactivate`, { method: "POST", key: acme.apiKey })).status).toBe(404);
    const still = (await (await api("/v1/users?limit=100", { key: other.apiKey })).json()) as { data: UserView[] };
    expect(still.data.find((u) => u.id === foreign.id)).toMatchObject({ role: "member", status: "active" });

    const changed = await patch(acme, created.id, { role: "admin" });
    expect(changed.status).toBe(200);
    expect(await changed.json()).toMatchObject({ id: created.id, email, role: "admin", status: "active" });
  });
});
