import http from "node:http";
import { decodeJwt, decodeProtectedHeader, importJWK, SignJWT, type JWK } from "jose";
import Provider, { type Configuration } from "oidc-provider";
import { z } from "zod";
import { localAccountClaims } from "./accounts.ts";

/**
 * The local OpenID provider (node `oidc-provider`, OpenID-certified), started by scripts/services/oidc.ts on
 * loopback like every other local service. Tenants' relying-party clients are registered through its dynamic
 * client registration endpoint (RFC 7591) with the initial access token from the environment, so each test
 * tenant gets a client of its own. Everything comes from the environment; nothing secret is logged.
 */
const env = z
  .object({
    OIDC_HOST: z.string().min(1),
    OIDC_PORT: z.coerce.number().int().min(1).max(65535),
    OIDC_REGISTRATION_TOKEN: z.string().min(16),
    OIDC_COOKIE_KEY: z.string().min(16),
    /** Private signing keys, a JSON Web Key Set: the first signs, all are published. */
    OIDC_JWKS: z.string().min(2),
  })
  .parse(process.env);

const issuer = `http://${env.OIDC_HOST}:${env.OIDC_PORT}`;

const configuration: Configuration = {
  jwks: JSON.parse(env.OIDC_JWKS),
  cookies: { keys: [env.OIDC_COOKIE_KEY] },
  claims: {
    openid: ["sub"],
    email: ["email", "email_verified"],
    profile: ["name"],
    groups: ["groups"],
  },
  scopes: ["openid", "email", "profile", "groups", "offline_access"],
  // Claims go into the ID token itself: the relying party reads them there and needs no userinfo call.
  conformIdTokenClaims: false,
  features: {
    devInteractions: { enabled: true },
    registration: { enabled: true, initialAccessToken: env.OIDC_REGISTRATION_TOKEN },
    registrationManagement: { enabled: true },
  },
  // Test-only client metadata: an ID-token lifetime, and a fault the token endpoint puts into this client's ID
  // tokens (see `withIdTokenFault`), so tests can see the relying party refuse them.
  extraClientMetadata: {
    properties: ["id_token_ttl_seconds", "test_id_token_fault"],
    validator(_ctx, key, value) {
      if (key === "id_token_ttl_seconds" && value !== undefined && !(Number.isInteger(value) && Number(value) > 0)) {
        throw new Error("id_token_ttl_seconds must be a positive integer");
      }
      if (key === "test_id_token_fault" && value !== undefined && !idTokenFaults.includes(value as IdTokenFault)) {
        throw new Error(`test_id_token_fault must be one of ${idTokenFaults.join(", ")}`);
      }
    },
  },
  ttl: {
    IdToken: (_ctx, _token, client) => Number((client as unknown as Record<string, unknown>).id_token_ttl_seconds ?? 3600),
  },
  pkce: { required: () => true },
  async findAccount(_ctx, id) {
    return { accountId: id, claims: async () => ({ ...localAccountClaims(id) }) };
  },
};

/**
 * What a misbehaving provider could answer, each a properly signed ID token (the provider's own key, published in its
 * JWKS) that the relying party must still refuse: one that expired an hour ago, one issued to another client, one
 * naming another issuer.
 */
const idTokenFaults = ["expired", "foreign_audience", "foreign_issuer"] as const;
type IdTokenFault = (typeof idTokenFaults)[number];

const signingKeys = (JSON.parse(env.OIDC_JWKS) as { keys: JWK[] }).keys;

/** The token endpoint's ID token for a client registered with `test_id_token_fault`, re-signed with the fault. */
async function withIdTokenFault(idToken: string, fault: IdTokenFault): Promise<string> {
  const claims = decodeJwt(idToken);
  const now = Math.floor(Date.now() / 1000);
  const changed =
    fault === "expired"
      ? { ...claims, iat: now - 7200, exp: now - 3600 }
      : fault === "foreign_audience"
        ? { ...claims, aud: "another-client", azp: "another-client" }
        : { ...claims, iss: "https://someone-else.example" };
  const { alg, kid, typ } = decodeProtectedHeader(idToken);
  if (!alg) throw new Error("the provider's ID token names no alg");
  return new SignJWT(changed)
    .setProtectedHeader({ alg, ...(kid ? { kid } : {}), ...(typ ? { typ } : {}) })
    .sign(await importJWK(signingKeys.find((key) => key.kid === kid)!, alg));
}

const provider = new Provider(issuer, configuration);
provider.use(async (ctx, next) => {
  await next();
  const fault = (ctx.oidc?.client as unknown as Record<string, unknown> | undefined)?.test_id_token_fault as IdTokenFault | undefined;
  const body = ctx.body as { id_token?: unknown } | undefined;
  if (ctx.path === "/token" && fault && typeof body?.id_token === "string") {
    ctx.body = { ...body, id_token: await withIdTokenFault(body.id_token, fault) };
  }
});
// Plain http on loopback: the provider must not insist on TLS-only cookies.
provider.proxy = false;
const server = http.createServer(provider.callback());
server.listen(env.OIDC_PORT, env.OIDC_HOST, () => console.log(`oidc-provider ${issuer}`));

const stop = () => server.close(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
