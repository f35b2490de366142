import { describe, expect, it } from "vitest";
import { readConfig, type Env } from "./env.ts";

const secretValues = {
  DATABASE_URL: "postgres://app:db-password-123@db.internal:5432/app",
  UPSTASH_REDIS_REST_TOKEN: "redis-token-456",
  LIVEKIT_API_SECRET: "livekit-secret-789",
  S3_SECRET_ACCESS_KEY: "s3-secret-abc",
  JOIN_TOKEN_SIGNING_KEYS: '[{"d":"private-scalar-def"}]',
  WEBHOOK_SECRETS_KEY: "t0ZlA1opWmrMI2DHoqBAsIhb2YezDcm96ZJOVVmd1IY=",
};

function env(overrides: Record<string, unknown> = {}): Env {
  return {
    MEETING_ROOM: {},
    UPSTASH_REDIS_REST_URL: "https://redis.example.com",
    LIVEKIT_URL: "wss://livekit.example.com",
    LIVEKIT_API_KEY: "APIkey",
    S3_REGION: "us-east-1",
    S3_BUCKET: "recordings",
    S3_ACCESS_KEY_ID: "AKIAEXAMPLE",
    ...secretValues,
    ...overrides,
  } as unknown as Env;
}

function configError(e: Env): Error {
  try {
    readConfig(e);
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected readConfig to throw");
}

describe("readConfig", () => {
  it("applies defaults for the optional settings", () => {
    expect(readConfig(env())).toMatchObject({
      JOIN_TOKEN_TTL_SECONDS: 300,
      JOIN_TOKEN_ISSUER: "edge-meetings",
      MAX_BODY_BYTES: 64 * 1024,
    });
  });

  it("coerces numeric settings given as strings, as wrangler vars are", () => {
    const config = readConfig(env({ JOIN_TOKEN_TTL_SECONDS: "600", MAX_BODY_BYTES: "2048", JOIN_TOKEN_ISSUER: "acme" }));
    expect(config).toMatchObject({ JOIN_TOKEN_TTL_SECONDS: 600, MAX_BODY_BYTES: 2048, JOIN_TOKEN_ISSUER: "acme" });
  });

  it("takes a ws:// or wss:// origin for the room sockets' Worker, and none by default", () => {
    expect(readConfig(env()).ROOM_SOCKETS_ORIGIN).toBeUndefined();
    expect(readConfig(env({ ROOM_SOCKETS_ORIGIN: "wss://rooms.example.com" })).ROOM_SOCKETS_ORIGIN).toBe("wss://rooms.example.com");
    expect(readConfig(env({ ROOM_SOCKETS_ORIGIN: "ws://127.0.0.1:8789" })).ROOM_SOCKETS_ORIGIN).toBe("ws://127.0.0.1:8789");
  });

  it("passes the required values through unchanged", () => {
    expect(readConfig(env())).toMatchObject(secretValues);
  });

  it("does not carry bindings it does not validate, such as the Durable Object namespace", () => {
    expect(readConfig(env())).not.toHaveProperty("MEETING_ROOM");
  });

  it("refuses a missing variable and names it", () => {
    expect(configError(env({ LIVEKIT_API_KEY: undefined })).message).toBe("invalid Worker configuration: LIVEKIT_API_KEY");
  });

  it("refuses an empty required variable and names it", () => {
    expect(configError(env({ S3_BUCKET: "" })).message).toContain("S3_BUCKET");
  });

  it("names every bad variable at once", () => {
    const message = configError(env({ DATABASE_URL: undefined, LIVEKIT_URL: "not a url", JOIN_TOKEN_TTL_SECONDS: "5" })).message;
    for (const name of ["DATABASE_URL", "LIVEKIT_URL", "JOIN_TOKEN_TTL_SECONDS"]) expect(message).toContain(name);
  });

  it.each([
    ["TTL below 30 s", { JOIN_TOKEN_TTL_SECONDS: "29" }],
    ["TTL above an hour", { JOIN_TOKEN_TTL_SECONDS: "3601" }],
    ["a non-numeric TTL", { JOIN_TOKEN_TTL_SECONDS: "five minutes" }],
    ["a body limit below 1 KiB", { MAX_BODY_BYTES: "100" }],
    ["a Redis URL that is not a URL", { UPSTASH_REDIS_REST_URL: "redis.example.com" }],
    ["a room sockets origin over https", { ROOM_SOCKETS_ORIGIN: "https://rooms.example.com" }],
    ["a room sockets origin with a path", { ROOM_SOCKETS_ORIGIN: "wss://rooms.example.com/v1" }],
    ["a room sockets origin with a query", { ROOM_SOCKETS_ORIGIN: "wss://rooms.example.com?x=1" }],
  ])("refuses %s", (_, overrides) => {
    expect(() => readConfig(env(overrides))).toThrow(/invalid Worker configuration/);
  });

  it("never echoes a secret value when refusing, even a malformed one", () => {
    const bad = env({
      UPSTASH_REDIS_REST_URL: "https://user:url-secret-xyz@redis.example.com:bad-port",
      LIVEKIT_URL: "livekit-url-secret-xyz",
      S3_ENDPOINT: "s3-endpoint-secret-xyz",
      LIVEKIT_API_KEY: undefined,
    });
    const message = configError(bad).message;
    for (const value of [...Object.values(secretValues), "url-secret-xyz", "livekit-url-secret-xyz", "s3-endpoint-secret-xyz"]) {
      expect(message).not.toContain(value);
    }
  });

  it("caches the parsed config per env object", () => {
    const e = env();
    const first = readConfig(e);
    (e as unknown as Record<string, string>).JOIN_TOKEN_ISSUER = "changed";
    expect(readConfig(e)).toBe(first);
    expect(readConfig(e).JOIN_TOKEN_ISSUER).toBe("edge-meetings");
  });

  it("parses a different env object on its own", () => {
    const a = readConfig(env());
    const b = readConfig(env({ JOIN_TOKEN_ISSUER: "other" }));
    expect(b).not.toBe(a);
    expect(b.JOIN_TOKEN_ISSUER).toBe("other");
  });

  it("does not cache a refusal: a fixed env object is accepted on the next read", () => {
    const e = env({ S3_BUCKET: undefined });
    expect(() => readConfig(e)).toThrow(/S3_BUCKET/);
    (e as unknown as Record<string, string>).S3_BUCKET = "recordings";
    expect(readConfig(e).S3_BUCKET).toBe("recordings");
  });
});
