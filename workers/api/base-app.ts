import { OpenAPIHono } from "@hono/zod-openapi";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "./app-env.ts";
import { ApiError } from "./errors.ts";
import { onError, problemResponse } from "./middleware/problem.ts";
import { validationHook } from "./middleware/validation-hook.ts";

/** What every Worker's Hono app starts with: request ids, security headers, and errors as problem+json. */
export function createBaseApp() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use("*", requestId({ generator: () => `req_${crypto.randomUUID().replaceAll("-", "")}` }));
  app.use("*", secureHeaders());
  app.onError(onError);
  app.notFound((c) => problemResponse(c, new ApiError("route_not_found", `No route for ${c.req.method} ${c.req.path}`)));
  return app;
}
