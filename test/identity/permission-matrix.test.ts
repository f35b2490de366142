import { beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { BrowserClient } from "../support/browser-client.ts";
import { closeCodes } from "../../protocol/close-codes.ts";
import { refusedConnect } from "../support/refused-connect.ts";
import { RoomClient } from "../support/room-client.ts";
import { configureTenantIdp, signIn } from "../support/oidc-sign-in.ts";
import { api, newTenant, workerUrl, type Problem } from "../support/stack.ts";

/** A signed-in person calling the API the way the meeting page does: the session cookie and the CSRF token. */
class Person {
  csrfToken = "";
  id = "";
  readonly browser = new BrowserClient();

  static async signIn(tenantId: string, login: string): Promise<Person> {
    const person = new Person();
    expect((await signIn(person.browser, tenantId, login)).status).toBe(303);
    const me = (await (await person.browser.request(`${workerUrl}/v1/me`)).json()) as { csrfToken: string; id: string };
    person.csrfToken = me.csrfToken;
    person.id = me.id;
    return person;
  }

  call(method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { "x-csrf-token": this.csrfToken };
    if (body !== undefined) headers["content-type"] = "application/json";
    return this.browser.request(`${workerUrl}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  }
}

type Who = "owner" | "admin" | "host" | "member";
const everyone: Who[] = ["owner", "admin", "host", "member"];

describe("each role against each action, over the API (signed in through the local OpenID provider)", () => {
  let tenant: Awaited<ReturnType<typeof newTenant>>;
  let people: Record<Who, Person>;
  /** Created by the `host` member, signed in: they host it. */
  let hosted: string;
  /** Created with the server API key: nobody hosts it. */
  let unhosted: string;

  beforeAll(async () => {
    tenant = await newTenant("permission matrix");
    await configureTenantIdp(tenant, { roleClaim: "groups", roleMapping: { "meeting-owners": "owner", "meeting-admins": "admin" } });
    people = {
      owner: await Person.signIn(tenant.tenantId, "owner.olga@matrix.test"),
      admin: await Person.signIn(tenant.tenantId, "admin.abe@matrix.test"),
      host: await Person.signIn(tenant.tenantId, "hana@matrix.test"),
      member: await Person.signIn(tenant.tenantId, "mo@matrix.test"),
    };
    const created = await people.host.call("POST", "/v1/meetings", { title: "hana's stand-up" });
    expect(created.status).toBe(201);
    hosted = ((await created.json()) as { id: string }).id;
    unhosted = ((await (await api("/v1/meetings", { key: tenant.apiKey, body: { title: "company all-hands" } })).json()) as { id: string })
      .id;
  });

  const rows: Array<{ what: string; call: () => [string, string, unknown?]; allowed: Who[] }> = [
    { what: "create a meeting", call: () => ["POST", "/v1/meetings", { title: "mine" }], allowed: everyone },
    { what: "read a meeting", call: () => ["GET", `/v1/meetings/${unhosted}`], allowed: everyone },
    { what: "list meetings", call: () => ["GET", "/v1/meetings"], allowed: everyone },
    {
      what: "update a meeting they host",
      call: () => ["PATCH", `/v1/meetings/${hosted}`, { title: "renamed" }],
      allowed: everyone.filter((w) => w !== "member"),
    },
    {
      what: "update a meeting nobody hosts",
      call: () => ["PATCH", `/v1/meetings/${unhosted}`, { title: "renamed" }],
      allowed: ["owner", "admin"],
    },
    {
      what: "mint a participant token",
      call: () => ["POST", `/v1/meetings/${unhosted}/tokens`, { identity: "p1", role: "participant" }],
      allowed: everyone,
    },
    {
      what: "mint a guest token",
      call: () => ["POST", `/v1/meetings/${unhosted}/tokens`, { identity: "g1", role: "guest" }],
      allowed: everyone,
    },
    {
      what: "mint a host token for their meeting",
      call: () => ["POST", `/v1/meetings/${hosted}/tokens`, { identity: "h1", role: "host" }],
      allowed: ["owner", "admin", "host"],
    },
    {
      what: "mint a host token for another meeting",
      call: () => ["POST", `/v1/meetings/${unhosted}/tokens`, { identity: "h2", role: "host" }],
      allowed: ["owner", "admin"],
    },
    {
      what: "mint a cohost token for another meeting",
      call: () => ["POST", `/v1/meetings/${unhosted}/tokens`, { identity: "c1", role: "cohost" }],
      allowed: ["owner", "admin"],
    },
    { what: "list recordings", call: () => ["GET", "/v1/recordings"], allowed: ["owner", "admin"] },
    { what: "read the recording policy", call: () => ["GET", "/v1/recording-policy"], allowed: ["owner", "admin"] },
    { what: "manage webhooks", call: () => ["GET", "/v1/webhook-endpoints"], allowed: ["owner", "admin"] },
    { what: "see webhook deliveries", call: () => ["GET", "/v1/webhook-deliveries"], allowed: ["owner", "admin"] },
    { what: "see usage and prices", call: () => ["GET", "/v1/usage/prices"], allowed: ["owner", "admin"] },
    { what: "list users", call: () => ["GET", "/v1/users"], allowed: ["owner", "admin"] },
    {
      what: "invite a member",
      call: () => ["POST", "/v1/users", { email: `new-${crypto.randomUUID().slice(0, 8)}@matrix.test` }],
      allowed: ["owner", "admin"],
    },
    {
      what: "invite an owner",
      call: () => ["POST", "/v1/users", { email: `boss-${crypto.randomUUID().slice(0, 8)}@matrix.test`, role: "owner" }],
      allowed: ["owner"],
    },
    { what: "manage the identity provider", call: () => ["GET", "/v1/identity-provider"], allowed: ["owner"] },
  ];

  for (const row of rows) {
    it(row.what, async () => {
      for (const who of everyone) {
        const [method, path, body] = row.call();
        const response = await people[who].call(method, path, body);
        const expectAllowed = row.allowed.includes(who);
        expect(response.status < 400, `${who}: ${method} ${path} answered ${response.status}`).toBe(expectAllowed);
        if (!expectAllowed) {
          expect(response.status, `${who}: ${method} ${path}`).toBe(403);
          expect(((await response.json()) as Problem).code).toBe("forbidden");
        }
      }
    });
  }

  it("an admin can't change an owner; an owner can, but never the last one", async () => {
    const owner = people.owner.id;
    expect((await people.admin.call("PATCH", `/v1/users/${owner}`, { role: "member" })).status).toBe(403);
    expect((await people.admin.call("POST", `/v1/users/${owner}/deactivate`)).status).toBe(403);

    const solo = await newTenant("permission matrix solo owner");
    await configureTenantIdp(solo, { roleClaim: "groups", roleMapping: { "meeting-owners": "owner" } });
    const only = await Person.signIn(solo.tenantId, "owner.una@solo.test");
    for (const [method, path, body] of [
      ["PATCH", `/v1/users/${only.id}`, { role: "admin" }],
      ["POST", `/v1/users/${only.id}/deactivate`, undefined],
    ] as const) {
      const last = await only.call(method, path, body);
      expect(last.status).toBe(403);
      expect(((await last.json()) as Problem).detail).toMatch(/last active owner/);
    }
    // With a second owner, the first may step down.
    const second = (await (await only.call("POST", "/v1/users", { email: "owner.dan@solo.test", role: "owner" })).json()) as { id: string };
    expect(second.id).toBeDefined();
    expect((await only.call("PATCH", `/v1/users/${only.id}`, { role: "admin" })).status).toBe(200);
  });

  it("a role change takes effect on the next request; deactivation ends every session at once", async () => {
    const person = await Person.signIn(tenant.tenantId, "rita@matrix.test");
    expect((await person.call("GET", "/v1/users")).status).toBe(403);
    expect((await people.admin.call("PATCH", `/v1/users/${person.id}`, { role: "admin" })).status).toBe(200);
    expect((await person.call("GET", "/v1/users")).status).toBe(200);
    const deactivated = await people.owner.call("POST", `/v1/users/${person.id}/deactivate`);
    expect(await deactivated.json()).toMatchObject({ status: "deactivated" });
    expect((await person.call("GET", "/v1/meetings")).status).toBe(401);
    expect((await signIn(new BrowserClient(), tenant.tenantId, "rita@matrix.test")).status).toBe(403);
  });

  it("deactivation makes the join tokens the person minted fail at connect; a server key's tokens still work", async () => {
    const person = await Person.signIn(tenant.tenantId, "tess@matrix.test");
    const minted = (await (
      await person.call("POST", `/v1/meetings/${unhosted}/tokens`, { identity: "tess", role: "participant" })
    ).json()) as {
      connectUrl: string;
    };
    const byServer = (await (
      await api(`/v1/meetings/${unhosted}/tokens`, { key: tenant.apiKey, body: { identity: "svc", role: "participant" } })
    ).json()) as {
      connectUrl: string;
    };
    expect((await people.owner.call("POST", `/v1/users/${person.id}/deactivate`)).status).toBe(200);
    const refused = await refusedConnect(minted.connectUrl);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as Problem).detail).toMatch(/deactivated/);
    const socket = new WebSocket(byServer.connectUrl);
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("unexpected-response", (_req, res) => reject(new Error(`refused with ${res.statusCode}`)));
    });
    socket.close();
  });

  it("a member cannot take the seat another person's token holds (the host's, powers included); its holder and the server can", async () => {
    const created = await people.host.call("POST", "/v1/meetings", { title: "hana's review" });
    const meetingId = ((await created.json()) as { id: string }).id;
    const mint = async (who: Person | "server", role: string) => {
      const body = { identity: "hana-seat", role };
      const response =
        who === "server"
          ? await api(`/v1/meetings/${meetingId}/tokens`, { key: tenant.apiKey, body })
          : await who.call("POST", `/v1/meetings/${meetingId}/tokens`, body);
      expect(response.status).toBe(201);
      return ((await response.json()) as { connectUrl: string }).connectUrl;
    };
    const hana = await RoomClient.join(await mint(people.host, "host"));
    expect(hana.ofType("welcome")[0]?.self.role).toBe("host");

    // Mo may mint a participant token naming any identity; naming Hana's seat, the room refuses it before the accept.
    const byMo = await mint(people.member, "participant");
    const refused = await refusedConnect(byMo);
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as Problem).code).toBe("identity_in_use");
    hana.send({ id: "still-here", type: "ping" });
    await hana.next((f) => f.type === "pong" && f.ref === "still-here");
    expect(hana.closed).toBeUndefined();

    // Dropped and within the grace window, the seat is still Hana's.
    hana.drop();
    expect((await refusedConnect(byMo)).status).toBe(409);
    // Hana herself (a new tab, a reconnect) takes it back, as host; then the tenant's server, which speaks for everyone.
    const again = await RoomClient.join(await mint(people.host, "host"));
    expect(again.ofType("welcome")[0]?.self.role).toBe("host");
    const server = await RoomClient.join(await mint("server", "participant"));
    expect(server.frames.some((f) => f.type === "welcome")).toBe(true);
    expect((await again.waitClosed()).code).toBe(closeCodes.replaced);
    server.close();
  });

  it("ending a meeting is its host's, not a cohost's or another member's", async () => {
    expect((await people.member.call("POST", `/v1/meetings/${hosted}/end`)).status).toBe(403);
    expect((await people.host.call("POST", `/v1/meetings/${hosted}/end`)).status).toBe(200);
  });

  it("a session's request without the CSRF token changes nothing", async () => {
    const response = await people.owner.browser.request(`${workerUrl}/v1/meetings`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ title: "forged" }),
    });
    expect(response.status).toBe(403);
    expect(((await response.json()) as Problem).code).toBe("csrf_token_invalid");
  });

  it("a person of another tenant reaches none of this tenant's meetings", async () => {
    const other = await newTenant("permission matrix other");
    await configureTenantIdp(other, { roleClaim: "groups", roleMapping: { "meeting-owners": "owner" } });
    const outsider = await Person.signIn(other.tenantId, "owner.oz@elsewhere.test");
    expect((await outsider.call("GET", `/v1/meetings/${unhosted}`)).status).toBe(404);
    expect((await outsider.call("POST", `/v1/meetings/${unhosted}/tokens`, { identity: "x", role: "participant" })).status).toBe(404);
    expect((await outsider.call("PATCH", `/v1/users/${people.member.id}`, { role: "admin" })).status).toBe(404);
  });
});
