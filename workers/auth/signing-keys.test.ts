import { exportJWK, generateKeyPair, type JWK } from "jose";
import { describe, expect, it } from "vitest";
import { loadSigningKeys } from "./signing-keys.ts";

async function privateJwk(kid: string, alg: "ES256" | "ES384" = "ES256"): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  return { ...(await exportJWK(privateKey)), kid };
}

describe("loadSigningKeys", () => {
  it("signs with the first key and publishes every key", async () => {
    const keys = await loadSigningKeys(JSON.stringify([await privateJwk("new"), await privateJwk("old")]));
    expect(keys.active.kid).toBe("new");
    expect(keys.active.key.type).toBe("private");
    expect(keys.jwks.keys.map((k) => k.kid)).toEqual(["new", "old"]);
  });

  it("publishes only the public half of each key", async () => {
    const [a, b] = [await privateJwk("a"), await privateJwk("b")];
    const { jwks } = await loadSigningKeys(JSON.stringify([a, b]));
    for (const published of jwks.keys) {
      expect(published).not.toHaveProperty("d");
      expect(published).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256", use: "sig" });
    }
    const serialised = JSON.stringify(jwks);
    expect(serialised).not.toContain(a.d);
    expect(serialised).not.toContain(b.d);
  });

  it("returns the same keys for the same configuration without re-importing", async () => {
    const json = JSON.stringify([await privateJwk("cached")]);
    expect(await loadSigningKeys(json)).toBe(await loadSigningKeys(json));
  });

  it("refuses a value that is not JSON, without echoing it", async () => {
    const secretish = '{"d":"super-secret-private-scalar"';
    const error: unknown = await loadSigningKeys(secretish).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe("JOIN_TOKEN_SIGNING_KEYS is not JSON");
  });

  it("refuses an empty key list", async () => {
    await expect(loadSigningKeys("[]")).rejects.toThrow(/non-empty array/);
  });

  it("refuses a single key that is not wrapped in an array", async () => {
    await expect(loadSigningKeys(JSON.stringify(await privateJwk("solo")))).rejects.toThrow(/non-empty array/);
  });

  it("refuses a key on a curve other than P-256", async () => {
    await expect(loadSigningKeys(JSON.stringify([await privateJwk("p384", "ES384")]))).rejects.toThrow(/P-256/);
  });

  it("refuses a key without a kid", async () => {
    const { kid: _kid, ...withoutKid } = await privateJwk("dropped");
    await expect(loadSigningKeys(JSON.stringify([withoutKid]))).rejects.toThrow(/kid/);
  });

  it("refuses a public key, which could not sign", async () => {
    const { d: _d, ...publicOnly } = await privateJwk("public");
    await expect(loadSigningKeys(JSON.stringify([publicOnly]))).rejects.toThrow(/private JWKs/);
  });

  it("refuses two keys sharing a kid, which would make verification ambiguous", async () => {
    const json = JSON.stringify([await privateJwk("same"), await privateJwk("same")]);
    await expect(loadSigningKeys(json)).rejects.toThrow("JOIN_TOKEN_SIGNING_KEYS has duplicate kids");
  });
});

describe("loadSigningKeys validates verify-only keys too", () => {
  it("refuses a second key whose coordinates are not a P-256 point", async () => {
    const make = async (kid: string) => ({ ...(await exportJWK((await generateKeyPair("ES256", { extractable: true })).privateKey)), kid });
    const good = await make("k1");
    const bad = { ...(await make("k2")), x: good.y };
    await expect(loadSigningKeys(JSON.stringify([good, bad]))).rejects.toThrow(/not a valid P-256 key/);
  });
});
