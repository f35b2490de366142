import { createLocalJWKSet, importJWK, type JWK, type JSONWebKeySet } from "jose";
import { z } from "zod";

/**
 * Join-token signing keys come from one JSON array of private ES256 JWKs, each with a `kid`.
 * The first key signs; every key verifies and is published, so rotation is: prepend a new key,
 * wait one token TTL, drop the old one.
 */
const privateJwk = z.object({
  kty: z.literal("EC"),
  crv: z.literal("P-256"),
  x: z.string().min(1),
  y: z.string().min(1),
  d: z.string().min(1),
  kid: z.string().min(1).max(64),
});
const keyList = z.array(privateJwk).min(1);

export interface SigningKeys {
  active: { kid: string; key: CryptoKey };
  jwks: JSONWebKeySet;
  verifier: ReturnType<typeof createLocalJWKSet>;
}

const cache = new Map<string, Promise<SigningKeys>>();

export function loadSigningKeys(json: string): Promise<SigningKeys> {
  let loaded = cache.get(json);
  if (!loaded) {
    loaded = parseSigningKeys(json);
    cache.set(json, loaded);
  }
  return loaded;
}

async function parseSigningKeys(json: string): Promise<SigningKeys> {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new Error("JOIN_TOKEN_SIGNING_KEYS is not JSON");
  }
  const parsed = keyList.safeParse(raw);
  if (!parsed.success) throw new Error("JOIN_TOKEN_SIGNING_KEYS must be a non-empty array of P-256 private JWKs with kid");
  const kids = new Set(parsed.data.map((k) => k.kid));
  if (kids.size !== parsed.data.length) throw new Error("JOIN_TOKEN_SIGNING_KEYS has duplicate kids");

  // Import every key now, so a corrupt verify-only key fails at load rather than as a mystery "invalid" token later.
  const imported = await Promise.all(parsed.data.map((jwk) => importJWK({ ...jwk, alg: "ES256" }, "ES256").catch(() => undefined)));
  if (imported.some((key) => key === undefined)) throw new Error("JOIN_TOKEN_SIGNING_KEYS has a key that is not a valid P-256 key");
  const first = parsed.data[0]!;
  const key = imported[0] as CryptoKey;
  // Publish only the public half of each key.
  const jwks: JSONWebKeySet = {
    keys: parsed.data.map(({ kty, crv, x, y, kid }): JWK => ({ kty, crv, x, y, kid, alg: "ES256", use: "sig" })),
  };
  return { active: { kid: first.kid, key }, jwks, verifier: createLocalJWKSet(jwks) };
}
