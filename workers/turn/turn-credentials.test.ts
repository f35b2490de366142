import { createHmac, randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TurnCredentialsError, type TurnErrorCode } from "./errors.ts";
import { issueTurnCredentials, maxTurnTtlSeconds, minTurnTtlSeconds, type TurnCredentialsRequest } from "./turn-credentials.ts";

const base: TurnCredentialsRequest = {
  secret: "north-wind-turn-secret-2024",
  ttlSeconds: 3600,
  userId: "participant-42",
  urls: ["turn:127.0.0.1:3478?transport=udp"],
  now: new Date(1_700_000_000_000),
};

// Reference implementation from node:crypto, independent of the WebCrypto code under test.
const referenceCredential = (secret: string, username: string) => createHmac("sha1", secret).update(username).digest("base64");

async function rejection(request: TurnCredentialsRequest): Promise<TurnErrorCode> {
  const error = await issueTurnCredentials(request).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TurnCredentialsError);
  return (error as TurnCredentialsError).code;
}

describe("issueTurnCredentials", () => {
  it("matches a fixed known-answer vector (computed with openssl)", async () => {
    // printf '%s' '1700003600:participant-42' | openssl dgst -sha1 -hmac 'north-wind-turn-secret-2024' -binary | base64
    const server = await issueTurnCredentials(base);
    expect(server).toEqual({
      urls: ["turn:127.0.0.1:3478?transport=udp"],
      username: "1700003600:participant-42",
      credential: "Q30qFmd0YKBmSzkBcKwCGS8hhMs=",
      expiresAt: "2023-11-14T23:13:20.000Z",
    });
  });

  it("agrees with node:crypto HMAC-SHA1 for arbitrary secrets, users and clocks", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 16, maxLength: 64 }),
        fc.stringMatching(/^[A-Za-z0-9_.@-]{1,64}$/),
        fc.integer({ min: minTurnTtlSeconds, max: maxTurnTtlSeconds }),
        fc.integer({ min: 0, max: 4_000_000_000_000 }),
        async (secret, userId, ttlSeconds, nowMs) => {
          const server = await issueTurnCredentials({ ...base, secret, userId, ttlSeconds, now: new Date(nowMs) });
          const expiry = Math.floor(nowMs / 1000) + ttlSeconds;
          expect(server.username).toBe(`${expiry}:${userId}`);
          expect(server.credential).toBe(referenceCredential(secret, server.username));
          expect(Date.parse(server.expiresAt)).toBe(expiry * 1000);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("is a pure function of its inputs: same request, same credential", async () => {
    const secret = randomBytes(24).toString("base64url");
    const [a, b] = await Promise.all([issueTurnCredentials({ ...base, secret }), issueTurnCredentials({ ...base, secret })]);
    expect(a).toEqual(b);
  });

  it("a different secret or user yields a different credential", async () => {
    const original = await issueTurnCredentials(base);
    const otherSecret = await issueTurnCredentials({ ...base, secret: `${base.secret}!` });
    const otherUser = await issueTurnCredentials({ ...base, userId: "participant-43" });
    expect(otherSecret.credential).not.toBe(original.credential);
    expect(otherUser.credential).not.toBe(original.credential);
  });

  it("copies the URL list so callers cannot mutate a shared config through the result", async () => {
    const urls = ["turn:127.0.0.1:3478?transport=udp"];
    const server = await issueTurnCredentials({ ...base, urls });
    server.urls.push("turn:evil.example:3478");
    expect(urls).toHaveLength(1);
  });

  it("accepts the TTL bounds themselves", async () => {
    await expect(issueTurnCredentials({ ...base, ttlSeconds: minTurnTtlSeconds })).resolves.toBeDefined();
    await expect(issueTurnCredentials({ ...base, ttlSeconds: maxTurnTtlSeconds })).resolves.toBeDefined();
  });

  it.each([0, -1, minTurnTtlSeconds - 1, maxTurnTtlSeconds + 1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])(
    "rejects ttlSeconds=%s",
    async (ttlSeconds) => {
      expect(await rejection({ ...base, ttlSeconds })).toBe("invalid_turn_ttl");
    },
  );

  // A ':' would let a caller-chosen id move the expiry coturn reads ("9999999999:x" as a userId).
  it.each(["", "a:b", "9999999999:admin", "has space", "tab\there", "naïve", "x".repeat(129)])("rejects userId %j", async (userId) => {
    expect(await rejection({ ...base, userId })).toBe("invalid_turn_user_id");
  });

  it("rejects a secret too short to resist brute force", async () => {
    expect(await rejection({ ...base, secret: "short" })).toBe("invalid_turn_secret");
  });

  it("rejects an empty or malformed URL list", async () => {
    expect(await rejection({ ...base, urls: [] })).toBe("invalid_turn_urls");
    expect(await rejection({ ...base, urls: ["https://127.0.0.1:3478"] })).toBe("invalid_turn_urls");
  });

  it("rejects an invalid clock", async () => {
    expect(await rejection({ ...base, now: new Date(Number.NaN) })).toBe("invalid_turn_clock");
  });
});
