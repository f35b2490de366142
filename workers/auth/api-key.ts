import { randomToken } from "../crypto/random-token.ts";
import { sha256Hex } from "../crypto/sha256-hex.ts";

/**
 * Tenant API keys: `emk_` + 32 random bytes (base64url). Only SHA-256(key) is stored; the first
 * characters are kept as a non-secret prefix to tell keys apart in listings. Pure: WebCrypto only.
 */
const keyPrefix = "emk_";
const secretLength = 43; // base64url of 32 bytes, unpadded
const keyPattern = /^emk_[A-Za-z0-9_-]{43}$/;
export const displayPrefixLength = keyPrefix.length + 8;

export interface GeneratedApiKey {
  key: string;
  prefix: string;
  hash: string;
}

export async function generateApiKey(): Promise<GeneratedApiKey> {
  const key = keyPrefix + randomToken(32);
  return { key, prefix: key.slice(0, displayPrefixLength), hash: await hashApiKey(key) };
}

/** Shape check before any database work, so malformed keys are refused cheaply. */
export function isWellFormedApiKey(candidate: string): boolean {
  return candidate.length === keyPrefix.length + secretLength && keyPattern.test(candidate);
}

export function hashApiKey(key: string): Promise<string> {
  return sha256Hex(key);
}

/** Extracts the credential from an Authorization header; undefined when absent or not Bearer. */
export function bearerCredential(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
