import { describe, expect, it } from "vitest";
import type { Env } from "../env.ts";
import { createApp } from "./app.ts";

/** Only config strings: these requests are refused before the database or a Durable Object is touched. */
const env = {
  MEETING_ROOM: {},
  DATABASE_URL: "postgres://app:app@127.0.0.1:1/app",
  UPSTASH_REDIS_REST_URL: "https://redis.example.com",
  UPSTASH_REDIS_REST_TOKEN: "token",
  LIVEKIT_URL: "wss://livekit.example.com",
  LIVEKIT_API_KEY: "key",
  LIVEKIT_API_SECRET: "secret",
  S3_REGION: "us-east-1",
  S3_BUCKET: "recordings",
  S3_ACCESS_KEY_ID: "id",
  S3_SECRET_ACCESS_KEY: "secret",
  JOIN_TOKEN_SIGNING_KEYS: "[]",
  WEBHOOK_SECRETS_KEY: "t0ZlA1opWmrMI2DHoqBAsIhb2YezDcm96ZJOVVmd1IY=",
} as unknown as Env;

/** Runs one request and settles whatever it handed to waitUntil, so nothing outlives the test. */
async function request(path: string, init?: RequestInit) {
  const waited: Promise<unknown>[] = [];
  const ctx = {
    waitUntil: (p: Promise<unknown>) => void waited.push(p),
    passThroughOnException() {},
    props: {},
  } as unknown as ExecutionContext;
  const res = await createApp().request(path, init, env, ctx);
  await Promise.all(waited);
  return res;
}

async function expectProblem(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  const text = await res.text();
  expect(text).not.toMatch(/stack|\bat .*\.(?:ts|js):\d+/);
  const body = JSON.parse(text) as Record<string, unknown>;
  expect(body).toMatchObject({ type: `urn:edge-meetings:problem:${code}`, code, status });
  expect(body.instance).toMatch(/^req_[0-9a-f]{32}$/);
  expect(res.headers.get("x-request-id")).toBe(body.instance);
  return body;
}

describe("createApp without a network", () => {
  it("answers an unknown route with 404 route_not_found", async () => {
    const body = await expectProblem(await request("/nope"), 404, "route_not_found");
    expect(body.detail).toBe("No route for GET /nope");
  });

  it("answers /v1/meetings without an API key with 401 unauthorized and a Bearer challenge", async () => {
    const res = await request("/v1/meetings");
    await expectProblem(res, 401, "unauthorized");
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="edge-meetings"');
  });

  it("refuses a malformed API key before any database work", async () => {
    await expectProblem(await request("/v1/meetings", { headers: { authorization: "Bearer emk_short" } }), 401, "invalid_api_key");
  });

  it("gives each request its own id", async () => {
    const a = await expectProblem(await request("/nope"), 404, "route_not_found");
    const b = await expectProblem(await request("/nope"), 404, "route_not_found");
    expect(a.instance).not.toBe(b.instance);
  });

  it("sets secure headers on problem responses", async () => {
    const res = await request("/nope");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  });
});
