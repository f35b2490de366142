/**
 * The local SAML identity provider's people (SimpleSAMLphp's `exampleauth:UserPass`; every password is `password`).
 * Their attributes are what a corporate directory sends: `email`, `displayName`, `groups`.
 */
export interface SamlPerson {
  username: string;
  email: string;
  displayName: string;
  groups: string[];
}

export const samlPassword = "password";

export const samlPeople: readonly SamlPerson[] = [
  { username: "owner", email: "owner@saml.test", displayName: "Sam Owner", groups: ["meeting-owners"] },
  { username: "member", email: "member@saml.test", displayName: "Sam Member", groups: [] },
  { username: "outsider", email: "someone@elsewhere.test", displayName: "Out Sider", groups: [] },
];
