import { z } from "zod";
import { tenantRoles, type TenantRole } from "../../../protocol/permissions.ts";

/** What a tenant's identity provider is trusted for (stored in tenant_identity_providers). */
export interface SignInPolicy {
  /** Lower-case domains whose verified emails may sign in; empty: any. */
  allowedEmailDomains: readonly string[];
  /** The ID-token claim (a string or a list of strings) whose values `roleMapping` maps to roles. */
  roleClaim: string | null;
  roleMapping: Readonly<Record<string, TenantRole>>;
  defaultRole: TenantRole;
}

export type SignInRefusal = "email_missing" | "email_not_verified" | "email_domain_not_allowed";

/**
 * Whether an ID token's claims may sign in to the tenant: a verified email, in an allowed domain when the tenant
 * lists any. Pure; the callback turns a refusal into a problem.
 */
export function signInRefusal(claims: Record<string, unknown>, policy: SignInPolicy): SignInRefusal | null {
  const email = typeof claims.email === "string" ? claims.email.trim().toLowerCase() : "";
  const at = email.lastIndexOf("@");
  if (at <= 0 || at === email.length - 1) return "email_missing";
  if (claims.email_verified !== true) return "email_not_verified";
  if (policy.allowedEmailDomains.length && !policy.allowedEmailDomains.includes(email.slice(at + 1))) return "email_domain_not_allowed";
  return null;
}

/** The role a first sign-in is provisioned with: the strongest mapped value of the role claim, else the default. */
export function provisionedRole(claims: Record<string, unknown>, policy: SignInPolicy): TenantRole {
  if (!policy.roleClaim) return policy.defaultRole;
  const raw = claims[policy.roleClaim];
  const values = typeof raw === "string" ? [raw] : Array.isArray(raw) ? raw.filter((v): v is string => typeof v === "string") : [];
  const mapped = values.flatMap((value) => (Object.hasOwn(policy.roleMapping, value) ? [policy.roleMapping[value]!] : []));
  return tenantRoles.find((role) => mapped.includes(role)) ?? policy.defaultRole;
}

/**
 * Where to send the browser after signing in: a path on our own origin, never another site (an open redirect would
 * hand a phishing page our sign-in's trust). Anything else falls back to the meeting page's root.
 */
export function safeReturnTo(requested: string | undefined): string {
  if (!requested || requested.length > 2048) return "/";
  if (!requested.startsWith("/") || requested.startsWith("//") || requested.includes("\\")) return "/";
  // Control characters would let a header or a browser read the path differently.
  for (const char of requested) {
    const code = char.charCodeAt(0);
    if (code < 0x20 || code === 0x7f) return "/";
  }
  return requested;
}

/** Lower-case, no scheme, no path: what a tenant may list as an allowed email domain. */
export const EmailDomain = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "a domain name such as example.com");
