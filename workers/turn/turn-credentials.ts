import { TurnCredentialsError } from "./errors.ts";
import { assertIceServerUrls } from "./turn-urls.ts";

/**
 * Time-limited TURN credentials in the "TURN REST API" scheme (draft-uberti-behave-turn-rest) that coturn
 * checks with `use-auth-secret`: the server shares only `secret` with us, so the Worker can mint credentials
 * without talking to the TURN server, and a leaked credential stops working at its expiry.
 */

/** Shorter lifetimes risk expiring between issue and ICE completion on a skewed client clock. */
export const minTurnTtlSeconds = 60;
/** Longer lifetimes make a leaked credential useful for too long; clients refresh before `expiresAt`. */
export const maxTurnTtlSeconds = 24 * 60 * 60;
/** A shorter shared secret could be brute-forced from one observed username/credential pair. */
export const minTurnSecretLength = 16;
const maxUserIdLength = 128;

export interface TurnCredentialsRequest {
  secret: string;
  ttlSeconds: number;
  /** Who the credential is for; shows up in TURN server logs and quotas. */
  userId: string;
  urls: readonly string[];
  now: Date;
}

/** An RTCIceServer plus its expiry; browsers ignore the extra member. */
export interface TurnIceServer {
  urls: string[];
  /** "<expiry in Unix seconds>:<userId>" — coturn reads the expiry back from here. */
  username: string;
  /** base64(HMAC-SHA1(secret, username)). */
  credential: string;
  /** ISO-8601 time at which the TURN server starts refusing the credential. */
  expiresAt: string;
}

export async function issueTurnCredentials(request: TurnCredentialsRequest): Promise<TurnIceServer> {
  const { secret, ttlSeconds, userId, urls, now } = request;
  if (secret.length < minTurnSecretLength) {
    const message = `TURN secret must have at least ${minTurnSecretLength} characters`;
    throw new TurnCredentialsError("invalid_turn_secret", message);
  }
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < minTurnTtlSeconds || ttlSeconds > maxTurnTtlSeconds) {
    throw new TurnCredentialsError(
      "invalid_turn_ttl",
      `ttlSeconds must be an integer in [${minTurnTtlSeconds}, ${maxTurnTtlSeconds}], got ${ttlSeconds}`,
    );
  }
  assertUserId(userId);
  assertIceServerUrls(urls);
  const nowMs = now.getTime();
  if (!Number.isFinite(nowMs)) throw new TurnCredentialsError("invalid_turn_clock", "now is not a valid date");

  const expiresAtSeconds = Math.floor(nowMs / 1000) + ttlSeconds;
  const username = `${expiresAtSeconds}:${userId}`;
  return {
    urls: [...urls],
    username,
    credential: await hmacSha1Base64(secret, username),
    expiresAt: new Date(expiresAtSeconds * 1000).toISOString(),
  };
}

// The username is "<expiry>:<userId>" and coturn splits it at the first ':', so a ':' in userId would let a
// caller-controlled id shift the expiry field. Printable ASCII only keeps it readable in logs and free of
// SASLprep/encoding ambiguity between us and the TURN server.
function assertUserId(userId: string): void {
  if (userId.length === 0 || userId.length > maxUserIdLength || !/^[\x21-\x39\x3b-\x7e]+$/.test(userId)) {
    throw new TurnCredentialsError(
      "invalid_turn_user_id",
      `userId must be 1-${maxUserIdLength} printable ASCII characters without ':' or spaces`,
    );
  }
}

async function hmacSha1Base64(secret: string, message: string): Promise<string> {
  const utf8 = new TextEncoder();
  const key = await crypto.subtle.importKey("raw", utf8.encode(secret), { name: "HMAC", hash: "SHA-1" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, utf8.encode(message)));
  return btoa(String.fromCharCode(...mac));
}
