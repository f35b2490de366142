import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { tenants } from "../../schema/index.ts";
import { host, loadOrCreateSecrets, ports } from "../../scripts/lib/local-config.ts";
import { localTtlMs } from "../../workers/auth/api-key-cache.ts";
import { RedisApiKeyCache } from "../../workers/auth/redis-api-key-cache.ts";
import { revokeApiKey, setTenantStatus } from "../../workers/tenants/tenant-provisioning.ts";
import { api, createMeeting, expectProblem, newTenant, withDatabase } from "../support/stack.ts";
import type { ProvisionedTenant } from "../../workers/tenants/tenant-provisioning.ts";

const sharedKeyCache = async () =>
  new RedisApiKeyCache({
    UPSTASH_REDIS_REST_URL: `http://${host}:${ports.upstashBridge}`,
    UPSTASH_REDIS_REST_TOKEN: (await loadOrCreateSecrets()).upstashToken,
  });

let owner: ProvisionedTenant;
let intruder: ProvisionedTenant;
let meetingId: string;

beforeAll(async () => {
  owner = await newTenant("owner");
  intruder = await newTenant("intruder");
  meetingId = (await createMeeting(owner.apiKey, { title: "Board meeting", metadata: { secret: "owner-only" } })).id;
});

describe("API key attacks", () => {
  it("refuses a request with no key", async () => {
    const response = await api("/v1/meetings");
    await expectProblem(response, 401, "unauthorized");
    expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
  });

  it.each([
    ["a Basic credential", "Basic dXNlcjpwYXNz"],
    ["a bare key without scheme", "emk_xxx"],
    ["an empty bearer", "Bearer "],
  ])("refuses %s as unauthorized", async (_name, header) => {
    await expectProblem(await api("/v1/meetings", { headers: { authorization: header } }), 401, "unauthorized");
  });

  it.each([
    ["garbage", "not-a-key"],
    ["a truncated key", "emk_abc"],
    ["an SQL injection attempt", "emk_'or'1'='1'--aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"],
    ["a well-formed key nobody issued", `emk_${"A".repeat(43)}`],
  ])("refuses %s as invalid_api_key", async (_name, key) => {
    await expectProblem(await api("/v1/meetings", { key }), 401, "invalid_api_key");
  });

  it("refuses a revoked key (within the cache's purge bound), and the tenant's other keys keep working", async () => {
    const tenant = await newTenant("revoked");
    expect((await api("/v1/meetings", { key: tenant.apiKey })).status).toBe(200);
    await withDatabase(async (db) => revokeApiKey(db, await sharedKeyCache(), tenant.tenantId, tenant.keyId));
    await expect
      .poll(async () => (await api("/v1/meetings", { key: tenant.apiKey })).status, { timeout: localTtlMs + 1000, interval: 100 })
      .toBe(401);
    await expectProblem(await api("/v1/meetings", { key: tenant.apiKey }), 401, "invalid_api_key");
    expect((await api("/v1/meetings", { key: owner.apiKey })).status).toBe(200);
  });

  it("refuses every key of a suspended tenant", async () => {
    const tenant = await newTenant("suspended");
    await withDatabase(async (db) => setTenantStatus(db, await sharedKeyCache(), tenant.tenantId, "suspended"));
    await expectProblem(await api("/v1/meetings", { key: tenant.apiKey }), 401, "invalid_api_key");
    const status = await withDatabase(async (db) => (await db.select().from(tenants).where(eq(tenants.id, tenant.tenantId)))[0]?.status);
    expect(status).toBe("suspended");
  });
});

describe("cross-tenant access is indistinguishable from a missing meeting", () => {
  const attempts: [string, () => Promise<Response>][] = [
    ["read", () => api(`/v1/meetings/${meetingId}`, { key: intruder.apiKey })],
    ["update", () => api(`/v1/meetings/${meetingId}`, { key: intruder.apiKey, method: "PATCH", body: { title: "pwned" } })],
    ["end", () => api(`/v1/meetings/${meetingId}/end`, { key: intruder.apiKey, method: "POST" })],
    ["delete", () => api(`/v1/meetings/${meetingId}`, { key: intruder.apiKey, method: "DELETE" })],
    [
      "mint a join token for",
      () => api(`/v1/meetings/${meetingId}/tokens`, { key: intruder.apiKey, body: { identity: "spy", role: "host" } }),
    ],
  ];

  it.each(attempts)("another tenant's key cannot %s the meeting", async (_verb, attempt) => {
    const problem = await expectProblem(await attempt(), 404, "not_found");
    expect(JSON.stringify(problem)).not.toContain("owner-only");
  });

  it("leaves the owner's meeting untouched and out of the intruder's list", async () => {
    const read = (await (await api(`/v1/meetings/${meetingId}`, { key: owner.apiKey })).json()) as Record<string, unknown>;
    expect(read).toMatchObject({ title: "Board meeting", status: "scheduled", metadata: { secret: "owner-only" } });
    const list = (await (await api("/v1/meetings?limit=100", { key: intruder.apiKey })).json()) as { data: { id: string }[] };
    expect(list.data.map((m) => m.id)).not.toContain(meetingId);
  });

  it("a non-existent meeting id gives the same answer as a foreign one", async () => {
    await expectProblem(await api(`/v1/meetings/${crypto.randomUUID()}`, { key: intruder.apiKey }), 404, "not_found");
  });
});
