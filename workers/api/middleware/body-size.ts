import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { readConfig } from "../../env.ts";
import { ApiError } from "../errors.ts";
import type { AppEnv } from "../app-env.ts";

/** Refuses bodies over MAX_BODY_BYTES (64 KiB by default), whether declared or streamed. */
export const limitBodySize = createMiddleware<AppEnv>(async (c, next) => {
  const limit = bodyLimit({
    maxSize: readConfig(c.env).MAX_BODY_BYTES,
    onError: () => {
      throw new ApiError("payload_too_large", `Bodies are limited to ${readConfig(c.env).MAX_BODY_BYTES} bytes`);
    },
  });
  return limit(c, next);
});

/** The one route whose body is a form: a SAML identity provider's POST back (its HTTP-POST binding). */
const formBodyPath = /^\/v1\/auth\/[^/]+\/saml\/acs$/;

/** Requests with a body must declare JSON (a form, on the SAML assertion consumer); anything else is 415 before parsing. */
export const requireJsonBody = createMiddleware<AppEnv>(async (c, next) => {
  const method = c.req.method;
  if (method === "POST" || method === "PATCH" || method === "PUT") {
    const hasBody = c.req.header("content-length") !== "0" && c.req.raw.body !== null;
    const type = c.req.header("content-type") ?? "";
    if (formBodyPath.test(c.req.path)) {
      if (!/^application\/x-www-form-urlencoded\s*(?:;|$)/i.test(type)) {
        throw new ApiError("unsupported_media_type", "Send the body as application/x-www-form-urlencoded");
      }
    } else if (hasBody && !/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type)) {
      throw new ApiError("unsupported_media_type", "Send the body as application/json");
    }
  }
  await next();
});
