import { drizzle } from "drizzle-orm/neon-serverless";
import { expect } from "vitest";
import * as schema from "../../schema/index.ts";
import { provisionTenant } from "../../scripts/lib/dev-tenant.ts";
import { databaseUrl, loadOrCreateSecrets } from "../../scripts/lib/local-config.ts";
import { createNodePool } from "../../scripts/lib/neon-node.ts";
import { workerUrl } from "../../scripts/services/worker.ts";
import type { ProvisionedTenant } from "../../workers/tenants/tenant-provisioning.ts";

export { workerUrl };

/** A fresh tenant with its own key for each suite, so suites never see each other's meetings. */
export async function newTenant(label: string): Promise<ProvisionedTenant> {
  return provisionTenant(databaseUrl(await loadOrCreateSecrets()), `test ${label} ${crypto.randomUUID().slice(0, 8)}`);
}

/** Direct database access for arranging states the API can't produce (revoked keys, suspended tenants). */
export async function withDatabase<T>(work: (db: ReturnType<typeof drizzle<typeof schema>>) => Promise<T>): Promise<T> {
  const pool = createNodePool(databaseUrl(await loadOrCreateSecrets()));
  try {
    return await work(drizzle(pool, { schema }));
  } finally {
    await pool.end();
  }
}

export interface ApiCall {
  method?: string;
  key?: string;
  body?: unknown;
  rawBody?: BodyInit;
  headers?: Record<string, string>;
}

export async function api(path: string, call: ApiCall = {}): Promise<Response> {
  const headers = new Headers(call.headers);
  if (call.key) headers.set("authorization", `Bearer ${call.key}`);
  let body: BodyInit | undefined = call.rawBody;
  if (call.body !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(call.body);
  }
  return fetch(`${workerUrl}${path}`, {
    method: call.method ?? (body ? "POST" : "GET"),
    headers,
    body,
    ...(body instanceof ReadableStream ? { duplex: "half" } : {}),
  } as RequestInit);
}

export interface Problem {
  type: string;
  code: string;
  title: string;
  status: number;
  detail?: string;
  issues?: { path: string; message: string }[];
  instance?: string;
}

/** Asserts an RFC 9457 problem with the given status and stable code, and that nothing internal leaked. */
export async function expectProblem(response: Response, status: number, code: string): Promise<Problem> {
  const text = await response.text();
  expect({ status: response.status, text }).toMatchObject({ status });
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  const problem = JSON.parse(text) as Problem;
  expect(problem).toMatchObject({ type: `urn:edge-meetings:problem:${code}`, code, status });
  expect(problem.instance).toMatch(/^req_[0-9a-f]{32}$/);
  expect(response.headers.get("x-request-id")).toBe(problem.instance);
  expect(text).not.toMatch(/\bat .+\.(?:ts|js):\d+|node_modules|stack/i);
  return problem;
}

export async function createMeeting(key: string, body: Record<string, unknown> = { title: "Test meeting" }) {
  const response = await api("/v1/meetings", { key, body });
  expect(response.status).toBe(201);
  return (await response.json()) as { id: string; title: string; status: string; [k: string]: unknown };
}

export async function mintToken(key: string, meetingId: string, body: Record<string, unknown> = { identity: "alice", role: "host" }) {
  const response = await api(`/v1/meetings/${meetingId}/tokens`, { key, body });
  expect(response.status).toBe(201);
  return (await response.json()) as { token: string; expiresAt: string; connectUrl: string };
}
