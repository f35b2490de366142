/**
 * Signed playback links: `/v1/recordings/{id}/playback/{path}?exp=…&sig=…`, so a browser's HLS player (which
 * cannot send an API key) fetches playlists through the API for a short time. The signature covers the tenant,
 * the recording and the expiry, under a key derived (HKDF) from WEBHOOK_SECRETS_KEY for this purpose alone.
 */
const encoder = new TextEncoder();

async function playbackKey(masterKeyBase64: string): Promise<CryptoKey> {
  const master = await crypto.subtle.importKey(
    "raw",
    Uint8Array.from(atob(masterKeyBase64), (c) => c.charCodeAt(0)),
    "HKDF",
    false,
    ["deriveKey"],
  );
  return crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: encoder.encode("recording-playback-v1") },
    master,
    { name: "HMAC", hash: "SHA-256", length: 256 },
    false,
    ["sign", "verify"],
  );
}

const message = (tenantId: string, recordingId: string, exp: number) => encoder.encode(`${tenantId}:${recordingId}:${exp}`);
const toHex = (bytes: ArrayBuffer) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");

export async function signPlayback(masterKey: string, tenantId: string, recordingId: string, exp: number): Promise<string> {
  return toHex(await crypto.subtle.sign("HMAC", await playbackKey(masterKey), message(tenantId, recordingId, exp)));
}

export async function verifyPlayback(
  masterKey: string,
  tenantId: string,
  recordingId: string,
  exp: number,
  signature: string,
  nowSeconds: number,
): Promise<boolean> {
  if (!Number.isSafeInteger(exp) || exp < nowSeconds || !/^[0-9a-f]{64}$/.test(signature)) return false;
  const bytes = Uint8Array.from(signature.match(/../g)!.map((pair) => Number.parseInt(pair, 16)));
  return crypto.subtle.verify("HMAC", await playbackKey(masterKey), bytes, message(tenantId, recordingId, exp));
}
