import crypto from "node:crypto";

/**
 * Checks `Authorization: Bearer <token>` in constant time. Both sides are hashed first because timingSafeEqual
 * needs equal lengths, and comparing lengths directly would leak the token's length.
 */
export function bearerTokenMatches(header: string | undefined, token: string): boolean {
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (!match?.[1]) return false;
  const digest = (text: string) => crypto.createHash("sha256").update(text, "utf8").digest();
  return crypto.timingSafeEqual(digest(match[1]), digest(token));
}
