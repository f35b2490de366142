/**
 * The local OpenID provider's people: anyone can sign in with any login (its development interactions take any
 * login and password), and the login is the account (its `sub`). Claims follow from it, so a test or a developer picks who they
 * are by what they type:
 *  - a login with an `@` is the email; any other login gets `@example.test` appended;
 *  - a local part starting with `owner` or `admin` is in the `meeting-owners` or `meeting-admins` group, which the
 *    tenant's claim → role mapping can turn into a role;
 *  - a local part starting with `unverified` has `email_verified: false`.
 */
export interface LocalAccountClaims {
  sub: string;
  email: string;
  email_verified: boolean;
  name: string;
  groups: string[];
}

export function localAccountClaims(login: string): LocalAccountClaims {
  const email = (login.includes("@") ? login : `${login}@example.test`).toLowerCase();
  const local = email.slice(0, email.indexOf("@"));
  const groups = local.startsWith("owner") ? ["meeting-owners"] : local.startsWith("admin") ? ["meeting-admins"] : [];
  return {
    sub: login,
    email,
    email_verified: !local.startsWith("unverified"),
    name: local.replace(/[._-]+/g, " ").replace(/\b\w/g, (c) => c.toUpperCase()),
    groups,
  };
}
