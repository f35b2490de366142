import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import { readConfig } from "../../env.ts";
import { identityRedis } from "../../identity/identity-config.ts";
import { SessionStore } from "../../identity/session-store.ts";
import { findUser } from "../../identity/user-repository.ts";
import { sessionTiming } from "../../identity/core/session-rules.ts";
import { TenantId } from "../../../protocol/ids.ts";
import type { AppEnv } from "../app-env.ts";
import { ApiError } from "../errors.ts";

/** `__Host-`: the browser keeps it only if Secure, Path=/ and without Domain, so no subdomain can plant or read it. */
export const sessionCookie = "em_session";
export const csrfHeader = "x-csrf-token";

export function setSessionCookie(c: Parameters<typeof setCookie>[0], id: string): void {
  setCookie(c, sessionCookie, id, {
    prefix: "host",
    path: "/",
    secure: true,
    httpOnly: true,
    sameSite: "Lax",
    maxAge: Math.floor(sessionTiming.absoluteMs / 1000),
  });
}

const safeMethods = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * A signed-in person's requests: the session cookie resolves to a live session (rotated when due: the new id goes
 * back in the cookie), and every state-changing request also carries the session's CSRF token in `x-csrf-token`
 * (a cross-site form or fetch can send the cookie, never the token).
 */
export const requireSession = createMiddleware<AppEnv>(async (c, next) => {
  const id = getCookie(c, sessionCookie, "host");
  if (!id) throw new ApiError("unauthorized", "Sign in first: no session cookie");
  const store = new SessionStore(identityRedis(readConfig(c.env)));
  const resolved = await store.resolve(id);
  if (!resolved) throw new ApiError("unauthorized", "The session has expired or was signed out");
  if (!safeMethods.has(c.req.method) && !sameToken(c.req.header(csrfHeader), resolved.session.csrfToken)) {
    throw new ApiError("csrf_token_invalid", `Send the session's CSRF token in ${csrfHeader}`);
  }
  if (resolved.rotatedId) setSessionCookie(c, resolved.rotatedId);
  c.set("session", resolved.session);
  c.set("sessionId", resolved.rotatedId ?? id);
  const tenantId = TenantId.parse(resolved.session.tenantId);
  c.set("tenantId", tenantId);
  // Read fresh per request, so a changed role or a deactivation takes effect at once.
  const user = await findUser(c.get("db"), tenantId, resolved.session.userId);
  if (!user || user.status !== "active") {
    await store.revokeAll(resolved.session.userId);
    throw new ApiError("unauthorized", "This account is no longer active");
  }
  c.set("actor", { kind: "person", role: user.role, userId: user.id });
  await next();
});

/** A request with a session cookie and no Authorization header is a signed-in person's; anything else needs a key. */
export const hasSessionCookie = (c: Context<AppEnv>) => !c.req.header("authorization") && getCookie(c, sessionCookie, "host") !== undefined;

/** Compares without stopping at the first difference, so timing tells nothing about the token. */
function sameToken(sent: string | undefined, expected: string): boolean {
  if (!sent || sent.length !== expected.length) return false;
  let difference = 0;
  for (let i = 0; i < sent.length; i++) difference |= sent.charCodeAt(i) ^ expected.charCodeAt(i);
  return difference === 0;
}
