import { describe, expect, it } from "vitest";
import { decide, type Actor, type ActionRequest, type MeetingStanding, type TenantRole } from "./permissions.ts";
import { participantRoles } from "./roles.ts";

const person = (role: TenantRole): Actor => ({ kind: "person", role });
const allowed = (actor: Actor, request: ActionRequest) => decide(actor, request).allowed;
const standings: MeetingStanding[] = ["host", "cohost", null];
const adminOnly = [
  "recordings.list",
  "recording_policy.manage",
  "webhooks.manage",
  "usage.read",
  "billing.manage",
  "analytics.read",
  "users.read",
] as const;

describe("permissions", () => {
  it("a server API key and an owner may do everything", () => {
    for (const actor of [{ kind: "server" } as Actor, person("owner")]) {
      expect(allowed(actor, { action: "identity_provider.manage" })).toBe(true);
      expect(allowed(actor, { action: "user.manage", targetRole: "owner", newRole: "member" })).toBe(true);
      expect(allowed(actor, { action: "meeting.end", standing: null })).toBe(true);
      expect(allowed(actor, { action: "token.mint", standing: null, tokenRole: "host" })).toBe(true);
      for (const action of adminOnly) expect(allowed(actor, { action })).toBe(true);
    }
  });

  it("an admin does everything but the identity provider and owners", () => {
    const admin = person("admin");
    expect(allowed(admin, { action: "identity_provider.manage" })).toBe(false);
    expect(allowed(admin, { action: "user.manage", targetRole: "owner" })).toBe(false);
    expect(allowed(admin, { action: "user.manage", targetRole: "member", newRole: "owner" })).toBe(false);
    expect(allowed(admin, { action: "user.manage", targetRole: "member", newRole: "admin" })).toBe(true);
    expect(allowed(admin, { action: "user.manage", targetRole: "admin" })).toBe(true);
    for (const action of adminOnly) expect(allowed(admin, { action })).toBe(true);
    for (const standing of standings) {
      expect(allowed(admin, { action: "meeting.end", standing })).toBe(true);
      expect(allowed(admin, { action: "token.mint", standing, tokenRole: "host" })).toBe(true);
    }
  });

  it("a member creates and reads meetings, and joins any as participant or guest", () => {
    const member = person("member");
    expect(allowed(member, { action: "meeting.create" })).toBe(true);
    expect(allowed(member, { action: "meeting.read" })).toBe(true);
    for (const standing of standings) {
      expect(allowed(member, { action: "token.mint", standing, tokenRole: "participant" })).toBe(true);
      expect(allowed(member, { action: "token.mint", standing, tokenRole: "guest" })).toBe(true);
    }
  });

  it("a member acts on a meeting only as its host or cohost; ending it and host tokens are the host's", () => {
    const member = person("member");
    const cases: Array<[ActionRequest["action"], MeetingStanding, boolean]> = [
      ["meeting.update", "host", true],
      ["meeting.update", "cohost", true],
      ["meeting.update", null, false],
      ["recording.control", "cohost", true],
      ["recording.control", null, false],
      ["recording.read", "host", true],
      ["recording.read", null, false],
      ["meeting.end", "host", true],
      ["meeting.end", "cohost", false],
      ["meeting.end", null, false],
    ];
    for (const [action, standing, expected] of cases) {
      expect(allowed(member, { action, standing } as ActionRequest), `${action} as ${standing}`).toBe(expected);
    }
    expect(allowed(member, { action: "token.mint", standing: "host", tokenRole: "host" })).toBe(true);
    expect(allowed(member, { action: "token.mint", standing: "cohost", tokenRole: "host" })).toBe(false);
    expect(allowed(member, { action: "token.mint", standing: null, tokenRole: "host" })).toBe(false);
    expect(allowed(member, { action: "token.mint", standing: "cohost", tokenRole: "cohost" })).toBe(true);
    expect(allowed(member, { action: "token.mint", standing: null, tokenRole: "cohost" })).toBe(false);
  });

  it("a member never manages the tenant", () => {
    const member = person("member");
    for (const action of adminOnly) expect(allowed(member, { action })).toBe(false);
    expect(allowed(member, { action: "identity_provider.manage" })).toBe(false);
    expect(allowed(member, { action: "user.manage", targetRole: "member" })).toBe(false);
  });

  it("every refusal says why", () => {
    for (const role of ["admin", "member"] as const) {
      for (const tokenRole of participantRoles) {
        const decision = decide(person(role), { action: "token.mint", standing: null, tokenRole });
        if (!decision.allowed) expect(decision.reason.length).toBeGreaterThan(10);
      }
    }
  });
});
