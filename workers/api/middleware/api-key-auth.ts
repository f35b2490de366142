import { createMiddleware } from "hono/factory";
import { bearerCredential, hashApiKey, isWellFormedApiKey } from "../../auth/api-key.ts";
import { findActiveApiKey } from "../../auth/api-key-repository.ts";
import { ApiKeyError } from "../../auth/errors.ts";
import type { AppEnv } from "../app-env.ts";

/** Resolves the tenant from a Bearer API key; every tenant-scoped route sits behind this. */
export const requireApiKey = createMiddleware<AppEnv>(async (c, next) => {
  const credential = bearerCredential(c.req.header("authorization"));
  if (!credential) throw new ApiKeyError("unauthorized", "Send the API key as 'Authorization: Bearer <key>'");
  // Malformed keys are refused before touching the database.
  if (!isWellFormedApiKey(credential)) throw new ApiKeyError("invalid_api_key", "The API key is malformed");
  const key = await findActiveApiKey(c.get("db"), await hashApiKey(credential));
  if (!key) throw new ApiKeyError("invalid_api_key", "The API key is unknown, revoked or expired");
  c.set("tenantId", key.tenantId);
  await next();
});
