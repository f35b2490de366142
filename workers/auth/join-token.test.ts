import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from "jose";
import { describe, expect, it } from "vitest";
import { MeetingId, TenantId } from "../../protocol/ids.ts";
import { JoinTokenError, type JoinTokenErrorCode } from "./errors.ts";
import { joinTokenAudience, mintJoinToken, verifyJoinToken } from "./join-token.ts";
import { loadSigningKeys, type SigningKeys } from "./signing-keys.ts";

const issuer = "edge-meetings";
const tenantId = TenantId.parse("0b6f7c1e-2f5a-4d3b-9c8e-1a2b3c4d5e6f");
const meetingId = MeetingId.parse("7d9e0f1a-3b4c-4d5e-8f6a-7b8c9d0e1f2a");
const issuedAt = new Date("2030-01-01T12:00:00.000Z");
const at = (secondsAfterIssue: number) => new Date(issuedAt.getTime() + secondsAfterIssue * 1000);
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

async function privateJwk(kid: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  return { ...(await exportJWK(privateKey)), kid };
}

const keysFrom = (...jwks: JWK[]) => loadSigningKeys(JSON.stringify(jwks));

function mint(keys: SigningKeys, overrides: { role?: "host" | "participant"; name?: string; ttlSeconds?: number } = {}) {
  return mintJoinToken(keys, {
    tenantId,
    meetingId,
    identity: "alice",
    role: overrides.role ?? "participant",
    ttlSeconds: overrides.ttlSeconds ?? 300,
    issuer,
    now: issuedAt,
    ...(overrides.name ? { name: overrides.name } : {}),
  });
}

/** Signs arbitrary claims with a given private JWK: what someone holding (or forging) a key could produce. */
async function signRaw(jwk: JWK, claims: Record<string, unknown>, options: { iss?: string; aud?: string } = {}) {
  const iat = Math.floor(issuedAt.getTime() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "ES256", kid: jwk.kid!, typ: "JWT" })
    .setIssuer(options.iss ?? issuer)
    .setAudience(options.aud ?? joinTokenAudience)
    .setIssuedAt(iat)
    .setExpirationTime(iat + 300)
    .sign(await importJWK(jwk, "ES256"));
}

const validClaims = () => ({ sub: "alice", tid: tenantId, mid: meetingId, role: "participant", jti: crypto.randomUUID() });

async function failure(keys: SigningKeys, token: string, now = at(10)): Promise<JoinTokenErrorCode> {
  const error: unknown = await verifyJoinToken(keys, token, { issuer, now }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(JoinTokenError);
  return (error as JoinTokenError).code;
}

describe("mintJoinToken → verifyJoinToken", () => {
  it("round-trips tenant, meeting, identity, role, name and expiry", async () => {
    const keys = await keysFrom(await privateJwk("k1"));
    const { token, expiresAt } = await mint(keys, { role: "host", name: "Ada Lovelace", ttlSeconds: 120 });
    expect(expiresAt).toEqual(at(120));
    const claims = await verifyJoinToken(keys, token, { issuer, now: at(10) });
    expect(claims).toMatchObject({ tenantId, meetingId, identity: "alice", role: "host", name: "Ada Lovelace", expiresAt: at(120) });
    expect(claims.tokenId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("leaves name out of the claims when none was given", async () => {
    const keys = await keysFrom(await privateJwk("k1"));
    const claims = await verifyJoinToken(keys, (await mint(keys)).token, { issuer, now: at(10) });
    expect(claims).not.toHaveProperty("name");
  });

  it("gives every token its own id", async () => {
    const keys = await keysFrom(await privateJwk("k1"));
    const [a, b] = await Promise.all([mint(keys), mint(keys)]);
    const [ca, cb] = await Promise.all([a, b].map((t) => verifyJoinToken(keys, t.token, { issuer, now: at(10) })));
    expect(ca!.tokenId).not.toBe(cb!.tokenId);
  });

  it("carries the active key's kid and ES256 in the header", async () => {
    const keys = await keysFrom(await privateJwk("k-active"), await privateJwk("k-other"));
    const { token } = await mint(keys);
    const header = JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString());
    expect(header).toEqual({ alg: "ES256", kid: "k-active", typ: "JWT" });
  });
});

describe("verifyJoinToken expiry", () => {
  it("still accepts a token within the 5 s clock tolerance after expiry", async () => {
    const keys = await keysFrom(await privateJwk("k1"));
    const { token } = await mint(keys, { ttlSeconds: 60 });
    await expect(verifyJoinToken(keys, token, { issuer, now: at(64) })).resolves.toMatchObject({ identity: "alice" });
  });

  it("reports an expired token as expired", async () => {
    const keys = await keysFrom(await privateJwk("k1"));
    const { token } = await mint(keys, { ttlSeconds: 60 });
    expect(await failure(keys, token, at(120))).toBe("join_token_expired");
  });

  it("reports an expired token signed by a foreign key as invalid, not expired", async () => {
    const keys = await keysFrom(await privateJwk("k1"));
    const foreign = await keysFrom(await privateJwk("k1"));
    const { token } = await mint(foreign, { ttlSeconds: 60 });
    expect(await failure(keys, token, at(120))).toBe("invalid_join_token");
  });
});

describe("verifyJoinToken refuses forged and altered tokens", () => {
  it("refuses an unsigned alg:none token", async () => {
    const keys = await keysFrom(await privateJwk("k1"));
    const iat = Math.floor(issuedAt.getTime() / 1000);
    const unsigned = `${b64({ alg: "none", typ: "JWT" })}.${b64({ ...validClaims(), role: "host", iss: issuer, aud: joinTokenAudience, iat, exp: iat + 300 })}.`;
    expect(await failure(keys, unsigned)).toBe("invalid_join_token");
  });

  it("refuses an HS256 token keyed with the published public key (algorithm confusion)", async () => {
    const jwk = await privateJwk("k1");
    const keys = await keysFrom(jwk);
    const publicBytes = new TextEncoder().encode(JSON.stringify(keys.jwks.keys[0]));
    const iat = Math.floor(issuedAt.getTime() / 1000);
    const confused = await new SignJWT({ ...validClaims(), role: "host" })
      .setProtectedHeader({ alg: "HS256", kid: "k1", typ: "JWT" })
      .setIssuer(issuer)
      .setAudience(joinTokenAudience)
      .setIssuedAt(iat)
      .setExpirationTime(iat + 300)
      .sign(publicBytes);
    expect(await failure(keys, confused)).toBe("invalid_join_token");
  });

  it("refuses a token whose payload was edited from participant to host", async () => {
    const keys = await keysFrom(await privateJwk("k1"));
    const { token } = await mint(keys, { role: "participant" });
    const [header, payload, signature] = token.split(".");
    const claims = JSON.parse(Buffer.from(payload!, "base64url").toString());
    const tampered = [header, b64({ ...claims, role: "host" }), signature].join(".");
    expect(await failure(keys, tampered)).toBe("invalid_join_token");
  });

  it("refuses a token with its signature removed", async () => {
    const keys = await keysFrom(await privateJwk("k1"));
    const { token } = await mint(keys);
    expect(await failure(keys, token.slice(0, token.lastIndexOf(".") + 1))).toBe("invalid_join_token");
  });

  it("refuses a token from another issuer", async () => {
    const jwk = await privateJwk("k1");
    const keys = await keysFrom(jwk);
    expect(await failure(keys, await signRaw(jwk, validClaims(), { iss: "someone-else" }))).toBe("invalid_join_token");
  });

  it("refuses a token for another audience, so other JWTs we sign cannot be replayed", async () => {
    const jwk = await privateJwk("k1");
    const keys = await keysFrom(jwk);
    expect(await failure(keys, await signRaw(jwk, validClaims(), { aud: "api" }))).toBe("invalid_join_token");
  });

  it("refuses a token signed by a foreign key that claims our kid", async () => {
    const keys = await keysFrom(await privateJwk("k1"));
    expect(await failure(keys, await signRaw(await privateJwk("k1"), validClaims()))).toBe("invalid_join_token");
  });

  it("refuses a token whose kid is not published", async () => {
    const keys = await keysFrom(await privateJwk("k1"));
    expect(await failure(keys, await signRaw(await privateJwk("k-unknown"), validClaims()))).toBe("invalid_join_token");
  });

  it.each([
    ["garbage", "not-a-jwt"],
    ["an empty string", ""],
    ["three empty segments", ".."],
  ])("refuses %s", async (_, token) => {
    const keys = await keysFrom(await privateJwk("k1"));
    expect(await failure(keys, token)).toBe("invalid_join_token");
  });
});

describe("verifyJoinToken refuses correctly signed tokens with bad claims", () => {
  it.each<[string, Record<string, unknown>]>([
    ["an unknown role", { role: "admin" }],
    ["a tenant id that is not a uuid", { tid: "tenant-1" }],
    ["a meeting id that is not a uuid", { mid: "123" }],
    ["an empty subject", { sub: "" }],
    ["a subject over 128 characters", { sub: "a".repeat(129) }],
    ["a name over 128 characters", { name: "n".repeat(129) }],
    ["a numeric role", { role: 1 }],
    ["no tenant", { tid: undefined }],
    ["no meeting", { mid: undefined }],
    ["no subject", { sub: undefined }],
    ["no token id", { jti: undefined }],
  ])("refuses %s", async (_, change) => {
    const jwk = await privateJwk("k1");
    const keys = await keysFrom(jwk);
    const claims: Record<string, unknown> = { ...validClaims(), ...change };
    for (const [k, v] of Object.entries(claims)) if (v === undefined) delete claims[k];
    expect(await failure(keys, await signRaw(jwk, claims))).toBe("invalid_join_token");
  });

  it("accepts the same hand-signed claims when they are well formed", async () => {
    const jwk = await privateJwk("k1");
    const keys = await keysFrom(jwk);
    await expect(verifyJoinToken(keys, await signRaw(jwk, validClaims()), { issuer, now: at(10) })).resolves.toMatchObject({
      tenantId,
      meetingId,
      role: "participant",
    });
  });
});

describe("signing key rotation", () => {
  it("keeps old tokens valid after a new key is prepended, signs new tokens with the new key, and drops them once the old key is removed", async () => {
    const oldKey = await privateJwk("2030-01");
    const newKey = await privateJwk("2030-02");

    const before = await keysFrom(oldKey);
    const { token: oldToken } = await mint(before);

    const during = await keysFrom(newKey, oldKey);
    await expect(verifyJoinToken(during, oldToken, { issuer, now: at(10) })).resolves.toMatchObject({ identity: "alice" });
    const { token: newToken } = await mint(during);
    expect(JSON.parse(Buffer.from(newToken.split(".")[0]!, "base64url").toString()).kid).toBe("2030-02");

    const after = await keysFrom(newKey);
    expect(await failure(after, oldToken)).toBe("invalid_join_token");
    await expect(verifyJoinToken(after, newToken, { issuer, now: at(10) })).resolves.toMatchObject({ identity: "alice" });
  });
});
