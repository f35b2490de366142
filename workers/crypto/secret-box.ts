/**
 * Secrets stored sealed: AES-256-GCM under a key of their own purpose (`WEBHOOK_SECRETS_KEY` for webhook endpoints'
 * signing secrets, `IDENTITY_SECRETS_KEY` for tenants' identity-provider client secrets), with the owning row's id
 * as additional data, so a database read (a backup, a replica, an injection) yields nothing usable, and a sealed
 * secret copied onto another row does not open. Format: `v1.<base64 iv>.<base64 ciphertext+tag>`.
 */
const version = "v1";

export async function importSecretsKey(base64Key: string): Promise<CryptoKey> {
  const raw = Uint8Array.from(atob(base64Key), (c) => c.charCodeAt(0));
  if (raw.byteLength !== 32) throw new Error("a secrets key must be 32 bytes, base64");
  return crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
}

export async function sealSecret(key: CryptoKey, ownerId: string, secret: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: new TextEncoder().encode(ownerId) },
    key,
    new TextEncoder().encode(secret),
  );
  return `${version}.${base64(iv)}.${base64(new Uint8Array(sealed))}`;
}

/** Opens a sealed secret; throws if it was altered, sealed for another owner or under another key. */
export async function openSecret(key: CryptoKey, ownerId: string, stored: string): Promise<string> {
  const [tag, iv, sealed, ...rest] = stored.split(".");
  if (tag !== version || !iv || !sealed || rest.length) throw new Error("not a sealed secret");
  const opened = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: unbase64(iv), additionalData: new TextEncoder().encode(ownerId) },
    key,
    unbase64(sealed),
  );
  return new TextDecoder().decode(opened);
}

const base64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const unbase64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

const keys = new Map<string, Promise<CryptoKey>>();

/** The isolate's imported key for this configuration value (imported once). */
export function secretsKey(base64Key: string): Promise<CryptoKey> {
  let key = keys.get(base64Key);
  if (!key) {
    key = importSecretsKey(base64Key);
    keys.set(base64Key, key);
  }
  return key;
}
