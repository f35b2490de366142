import http from "node:http";
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
  // A test registers a client with a short ID-token lifetime to see an expired one refused.
  extraClientMetadata: {
    properties: ["id_token_ttl_seconds"],
    validator(_ctx, key, value) {
      if (key === "id_token_ttl_seconds" && value !== undefined && !(Number.isInteger(value) && Number(value) > 0)) {
        throw new Error("id_token_ttl_seconds must be a positive integer");
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

const provider = new Provider(issuer, configuration);
// Plain http on loopback: the provider must not insist on TLS-only cookies.
provider.proxy = false;
const server = http.createServer(provider.callback());
server.listen(env.OIDC_PORT, env.OIDC_HOST, () => console.log(`oidc-provider ${issuer}`));

const stop = () => server.close(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
