import { describe, expect, it } from "vitest";
import { api } from "../support/stack.ts";

describe("public documents and health", () => {
  it("reports every dependency up with its latency", async () => {
    const response = await api("/healthz");
    const health = (await response.json()) as { status: string; dependencies: Record<string, { status: string; latencyMs: number }> };
    expect(response.status).toBe(200);
    expect(health.status).toBe("ok");
    expect(Object.keys(health.dependencies).sort()).toEqual(["livekit", "postgres", "redis", "s3"]);
    for (const dependency of Object.values(health.dependencies)) {
      expect(dependency.status).toBe("up");
      expect(dependency.latencyMs).toBeGreaterThanOrEqual(0);
    }
  });

  it("publishes only public ES256 keys in the JWKS", async () => {
    const jwks = (await (await api("/.well-known/jwks.json")).json()) as { keys: Record<string, string>[] };
    expect(jwks.keys.length).toBeGreaterThan(0);
    for (const key of jwks.keys) {
      expect(key).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256", use: "sig" });
      expect(key.kid).toBeTruthy();
      expect(key).not.toHaveProperty("d");
    }
  });

  it("serves an OpenAPI 3.1 document generated from the request schemas", async () => {
    const response = await api("/v1/openapi.json");
    expect(response.status).toBe(200);
    const doc = (await response.json()) as {
      openapi: string;
      paths: Record<string, Record<string, { security?: unknown[] }>>;
      components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
    };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/v1/meetings",
        "/v1/meetings/{id}",
        "/v1/meetings/{id}/end",
        "/v1/meetings/{id}/tokens",
        "/v1/meetings/{id}/connect",
        "/healthz",
      ]),
    );
    expect(doc.paths["/v1/meetings"]?.post?.security).toEqual([{ apiKey: [] }]);
    expect(doc.components.schemas).toHaveProperty("CreateMeeting");
    expect(doc.components.schemas).toHaveProperty("Problem");
    expect(doc.components.securitySchemes).toHaveProperty("apiKey");
  });
});
