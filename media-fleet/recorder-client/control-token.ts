import { SignJWT } from "jose";
import { recorderControlAudience } from "../../protocol/recorder-control.ts";

/** Lifetime of a control token: one call's worth, well inside the recorder's 60 s ceiling. */
export const controlTokenTtlSeconds = 30;

/** A control API bearer token: HS256 under RECORDER_CONTROL_SECRET, `aud` "recorder", minted per call. */
export async function mintControlToken(secret: string, nowMs: number, ttlSeconds = controlTokenTtlSeconds): Promise<string> {
  const now = Math.floor(nowMs / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setAudience(recorderControlAudience)
    .setIssuedAt(now)
    .setExpirationTime(now + ttlSeconds)
    .sign(new TextEncoder().encode(secret));
}
