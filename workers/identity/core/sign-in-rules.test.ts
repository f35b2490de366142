import { describe, expect, it } from "vitest";
import { EmailDomain, provisionedRole, safeReturnTo, signInRefusal, type SignInPolicy } from "./sign-in-rules.ts";

const policy: SignInPolicy = {
  allowedEmailDomains: ["acme.test"],
  roleClaim: "groups",
  roleMapping: { "meeting-admins": "admin", "meeting-owners": "owner", staff: "member" },
  defaultRole: "member",
};

describe("who may sign in", () => {
  it("a verified email in an allowed domain", () => {
    expect(signInRefusal({ email: "Ana@ACME.test", email_verified: true }, policy)).toBeNull();
  });

  it("refuses a missing, unverified or foreign email", () => {
    expect(signInRefusal({ email_verified: true }, policy)).toBe("email_missing");
    expect(signInRefusal({ email: "not-an-email", email_verified: true }, policy)).toBe("email_missing");
    expect(signInRefusal({ email: "ana@acme.test", email_verified: false }, policy)).toBe("email_not_verified");
    expect(signInRefusal({ email: "ana@acme.test" }, policy)).toBe("email_not_verified");
    expect(signInRefusal({ email: "ana@evil.test", email_verified: true }, policy)).toBe("email_domain_not_allowed");
    // A look-alike subdomain is another domain.
    expect(signInRefusal({ email: "ana@acme.test.evil.test", email_verified: true }, policy)).toBe("email_domain_not_allowed");
  });

  it("any domain when the tenant lists none", () => {
    expect(signInRefusal({ email: "ana@anywhere.test", email_verified: true }, { ...policy, allowedEmailDomains: [] })).toBeNull();
  });
});

describe("the role a first sign-in gets", () => {
  it("the strongest mapped value of the claim", () => {
    expect(provisionedRole({ groups: ["staff", "meeting-admins"] }, policy)).toBe("admin");
    expect(provisionedRole({ groups: ["meeting-admins", "meeting-owners"] }, policy)).toBe("owner");
    expect(provisionedRole({ groups: "meeting-admins" }, policy)).toBe("admin");
  });

  it("the default for no claim, unmapped values, or values that are not strings", () => {
    expect(provisionedRole({}, policy)).toBe("member");
    expect(provisionedRole({ groups: ["other"] }, policy)).toBe("member");
    expect(provisionedRole({ groups: [1, { admin: true }] }, policy)).toBe("member");
    expect(provisionedRole({ groups: ["toString", "__proto__"] }, policy)).toBe("member");
    expect(provisionedRole({ groups: ["meeting-admins"] }, { ...policy, roleClaim: null })).toBe("member");
  });
});

describe("where the browser goes after signing in", () => {
  it("a path on our own origin", () => {
    expect(safeReturnTo("/meetings/abc?join=1")).toBe("/meetings/abc?join=1");
    expect(safeReturnTo(undefined)).toBe("/");
  });

  it("never another site", () => {
    for (const bad of [
      "https://evil.test/",
      "//evil.test/x",
      "/\\evil.test",
      "evil.test",
      "javascript:alert(1)",
      "/a\nb",
      `/${"x".repeat(3000)}`,
    ]) {
      expect(safeReturnTo(bad)).toBe("/");
    }
  });
});

describe("allowed email domains", () => {
  it("takes domain names, lower-cased", () => {
    expect(EmailDomain.parse(" Acme.TEST ")).toBe("acme.test");
    for (const bad of ["https://acme.test", "acme", "@acme.test", "acme.test/x", "-acme.test"])
      expect(EmailDomain.safeParse(bad).success).toBe(false);
  });
});
