import { z } from "zod";
import type { ParticipantRole } from "./roles.ts";

/**
 * Who may do what through the API: the only place these rules live. The API asks it for every request of a
 * signed-in person (workers/api/middleware/permissions.ts); a server API key acts for the whole tenant, as its
 * owner would. Meeting rules inside a live meeting (mute, remove, …) are `canActOn` in roles.ts.
 *
 *  - owner: everything.
 *  - admin: everything but the identity provider, and never on an owner or to make one.
 *  - member: reads meetings, creates them (and hosts what they create), joins any meeting as a participant or
 *    guest; updates, records and mints cohost tokens for meetings they host or cohost; ends, deletes and mints
 *    host tokens only for meetings they host. Never webhooks, usage and billing, analytics, recording policy,
 *    other users or the identity provider.
 *  - recordings: listed by owners and admins; one recording read by them or its meeting's host or cohost.
 */
export const tenantRoles = ["owner", "admin", "member"] as const;
export const TenantRole = z.enum(tenantRoles);
export type TenantRole = z.infer<typeof TenantRole>;

/** A signed-in person's standing in one meeting (null: neither host nor cohost). */
export type MeetingStanding = "host" | "cohost" | null;

export type Actor = { kind: "server" } | { kind: "person"; role: TenantRole };

export type ActionRequest =
  | { action: "meeting.create" | "meeting.read" }
  | { action: "meeting.update" | "meeting.end" | "recording.control" | "recording.read"; standing: MeetingStanding }
  | { action: "token.mint"; standing: MeetingStanding; tokenRole: ParticipantRole }
  | {
      action:
        | "recordings.list"
        | "recording_policy.manage"
        | "webhooks.manage"
        | "usage.read"
        | "billing.manage"
        | "analytics.read"
        | "users.read";
    }
  | { action: "identity_provider.manage" }
  | { action: "user.manage"; targetRole: TenantRole; newRole?: TenantRole };

export type Action = ActionRequest["action"];

export type Decision = { allowed: true } | { allowed: false; reason: string };

const allow: Decision = { allowed: true };
const deny = (reason: string): Decision => ({ allowed: false, reason });

export function decide(actor: Actor, request: ActionRequest): Decision {
  if (actor.kind === "server" || actor.role === "owner") return allow;
  const admin = actor.role === "admin";
  switch (request.action) {
    case "meeting.create":
    case "meeting.read":
      return allow;
    case "meeting.update":
    case "recording.control":
    case "recording.read":
      return admin || request.standing !== null ? allow : deny("only the meeting's host or cohost may do this");
    case "meeting.end":
      return admin || request.standing === "host" ? allow : deny("only the meeting's host may end or delete it");
    case "token.mint":
      if (admin) return allow;
      if (request.tokenRole === "host") return request.standing === "host" ? allow : deny("only the meeting's host may mint host tokens");
      if (request.tokenRole === "cohost")
        return request.standing !== null ? allow : deny("only the meeting's host or cohost may mint cohost tokens");
      return allow;
    case "recordings.list":
    case "recording_policy.manage":
    case "webhooks.manage":
    case "usage.read":
    case "billing.manage":
    case "analytics.read":
    case "users.read":
      return admin ? allow : deny("only the tenant's owners and admins may do this");
    case "identity_provider.manage":
      return deny("only the tenant's owners may manage its identity provider");
    case "user.manage":
      if (!admin) return deny("only the tenant's owners and admins may manage users");
      if (request.targetRole === "owner" || request.newRole === "owner") return deny("only an owner may manage owners");
      return allow;
  }
}
