import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { exportJWK, generateKeyPair } from "jose";
import { startDaemonFor, stopDaemon, waitUntil } from "../lib/daemon.ts";
import { host, ports, type LocalSecrets } from "../lib/local-config.ts";
import { dataDir, repoRoot } from "../lib/paths.ts";
import type { LocalService } from "./local-service.ts";

const daemon = "oidc-provider";
export const oidcIssuer = `http://${host}:${ports.oidc}`;
const keysFile = path.join(dataDir, "oidc-provider", "jwks.json");
const startedFile = path.join(dataDir, "oidc-provider", "started.sha256");

async function newSigningKey() {
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  return { ...(await exportJWK(privateKey)), kid: `local-${crypto.randomBytes(6).toString("base64url")}`, alg: "RS256", use: "sig" };
}

/** The provider's signing keys, generated once per checkout (a restart keeps them, so issued tokens still verify). */
async function signingKeys(): Promise<string> {
  if (fs.existsSync(keysFile)) return fs.readFileSync(keysFile, "utf8");
  fs.mkdirSync(path.dirname(keysFile), { recursive: true, mode: 0o700 });
  fs.writeFileSync(keysFile, JSON.stringify({ keys: [await newSigningKey()] }), { mode: 0o600 });
  return fs.readFileSync(keysFile, "utf8");
}

/**
 * Rotates the provider's signing key as an identity provider does: a new key signs from the next start, the previous
 * one stays published. Returns the new key's `kid`; the next `oidcService.up` restarts the provider with it.
 */
export async function rotateOidcSigningKey(): Promise<string> {
  const previous = JSON.parse(await signingKeys()) as { keys: Array<Record<string, unknown>> };
  const key = await newSigningKey();
  fs.writeFileSync(keysFile, JSON.stringify({ keys: [key, previous.keys[0]] }), { mode: 0o600 });
  return key.kid;
}

async function answers(): Promise<boolean> {
  const response = await fetch(`${oidcIssuer}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(1000) });
  if (!response.ok) return false;
  return ((await response.json()) as { issuer?: string }).issuer === oidcIssuer;
}

/**
 * The local OpenID provider (scripts/oidc-provider/main.ts): node `oidc-provider` in its own Node process, on
 * loopback. Tenants' clients are registered with `registerOidcClient` (dynamic registration).
 */
export const oidcService: LocalService = {
  name: "oidc",
  async up(secrets: LocalSecrets) {
    const env = {
      OIDC_HOST: host,
      OIDC_PORT: String(ports.oidc),
      OIDC_REGISTRATION_TOKEN: secrets.oidcRegistrationToken,
      OIDC_COOKIE_KEY: secrets.oidcCookieKey,
      OIDC_JWKS: await signingKeys(),
    };
    // A running provider keeps the keys, settings and code it started with: new ones mean a restart.
    const sourceDir = path.join(repoRoot, "scripts", "oidc-provider");
    const sources = fs
      .readdirSync(sourceDir)
      .sort()
      .map((file) => fs.readFileSync(path.join(sourceDir, file), "utf8"));
    const digest = crypto
      .createHash("sha256")
      .update(JSON.stringify([Object.entries(env).sort(), sources]))
      .digest("hex");
    await startDaemonFor(
      {
        name: daemon,
        command: process.execPath,
        args: ["--import", "tsx", path.join("scripts", "oidc-provider", "main.ts")],
        cwd: repoRoot,
        env: { ...process.env, ...env, NODE_ENV: "development" },
      },
      { digest, digestFile: startedFile, host, port: ports.oidc },
    );
    await waitUntil(daemon, answers);
    return `${oidcIssuer} (oidc-provider, any login signs in; clients by dynamic registration)`;
  },
  async down() {
    await stopDaemon(daemon);
  },
};

/** Registers a confidential client with the local provider (RFC 7591), as a tenant's admin would at their IdP. */
export async function registerOidcClient(
  secrets: LocalSecrets,
  redirectUris: string[],
  extra: Record<string, unknown> = {},
): Promise<{ clientId: string; clientSecret: string }> {
  const response = await fetch(`${oidcIssuer}/reg`, {
    method: "POST",
    headers: { authorization: `Bearer ${secrets.oidcRegistrationToken}`, "content-type": "application/json" },
    body: JSON.stringify({
      redirect_uris: redirectUris,
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
      ...extra,
    }),
  });
  if (response.status !== 201) throw new Error(`registering an OIDC client answered ${response.status}: ${await response.text()}`);
  const body = (await response.json()) as { client_id: string; client_secret: string };
  return { clientId: body.client_id, clientSecret: body.client_secret };
}
