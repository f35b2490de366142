import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { loadSigningKeys } from "../../auth/signing-keys.ts";
import { readConfig } from "../../env.ts";
import type { AppEnv } from "../app-env.ts";

const JwksSchema = z
  .object({
    keys: z.array(
      z
        .object({ kty: z.string(), crv: z.string(), x: z.string(), y: z.string(), kid: z.string(), alg: z.string(), use: z.string() })
        .partial(),
    ),
  })
  .openapi("JWKS");

const jwksRoute = createRoute({
  method: "get",
  path: "/.well-known/jwks.json",
  tags: ["Join tokens"],
  summary: "Public keys that verify join tokens (public by design)",
  responses: { 200: { description: "JSON Web Key Set", content: { "application/json": { schema: JwksSchema } } } },
});

export const jwksRoutes = new OpenAPIHono<AppEnv>().openapi(jwksRoute, async (c) => {
  const { jwks } = await loadSigningKeys(readConfig(c.env).JOIN_TOKEN_SIGNING_KEYS);
  c.header("cache-control", "public, max-age=300");
  return c.json(jwks, 200);
});
