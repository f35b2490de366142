import { z } from "zod";
import type { ParticipantRole } from "./roles.ts";

/**
 * Who may do what through the API: the only place these rules live. The API asks it for every request of a
 * signed-in person (workers/api/middleware/permissions.ts); a server API key acts for the whole tenant, as its
 * owner would. The rules inside a live meeting (mute, remove, …) by meeting role are below (`authorize`): the
 * room asks them for every host action, and the page asks `canActOn` and `isModerator` what to offer.
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

/** Hosts and cohosts moderate: host controls, the waiting room, chat moderation. */
export const isModerator = (role: ParticipantRole): boolean => role === "host" || role === "cohost";

/**
 * Whether someone of `actor` role may take a host action aimed at someone of `target` role: a moderator may,
 * except that a cohost never acts on a host. The room, the API and the page all ask this one rule.
 */
export const canActOn = (actor: ParticipantRole, target: ParticipantRole): boolean =>
  isModerator(actor) && !(actor === "cohost" && target === "host");

/**
 * Inside a live meeting: who may do what to whom, by meeting role. The room passes the actor, the request and a
 * roster lookup, and turns a refusal into an `error` frame. Role rules (one line each):
 *  - host: may do every action.
 *  - cohost: may do every action except `end_meeting`, and never changes the host's role, removes or mutes the host.
 *  - participant, guest: may do none of them.
 *  - nobody may `set_role` anyone to host (hosts come only from the join token).
 *  - a target not in the meeting -> `not_found` (checked after the role, so a participant can't probe the roster).
 *  - muting yourself is allowed for anyone: it is not a host action.
 *  - removing yourself is refused: that is `leave`, which needs no permission.
 *  - changing your own role is refused: a host can't strand the meeting hostless and a cohost can't self-promote.
 *  - `record` (start, pause, resume, stop) and `recording_exclude` are host actions; a cohost may not exclude the host.
 */
export const hostActions = [
  "mute",
  "mute_all",
  "remove",
  "lock",
  "end_meeting",
  "set_role",
  "spotlight",
  "admit",
  "deny",
  "chat_moderate",
  "record",
  "recording_exclude",
] as const;
export type HostAction = (typeof hostActions)[number];

export interface MeetingActor {
  identity: string;
  role: ParticipantRole;
}

/**
 * Actions with a target name it. `admit`/`deny` targets wait in the lobby, not the meeting, so their
 * existence is waiting-room.ts's answer; `chat_moderate` targets a message whose author may have left,
 * so chat-log.ts answers for it; `spotlight` with `null` clears the spotlight.
 */
export type HostRequest =
  | { action: "mute"; target: string }
  | { action: "remove"; target: string }
  | { action: "set_role"; target: string; role: ParticipantRole }
  | { action: "spotlight"; target: string | null }
  | { action: "recording_exclude"; target: string }
  | { action: "mute_all" | "lock" | "end_meeting" | "admit" | "deny" | "chat_moderate" | "record" };

/** A refusal carries the room's error code: `not_found` for a target not in the meeting. */
export type Permission = { ok: true } | { ok: false; code: "forbidden" | "not_found"; message: string };

/** Looks up a participant's role in the meeting; `undefined` means "not in the meeting". */
export type RoleLookup = (identity: string) => ParticipantRole | undefined;

const allowed: Permission = { ok: true };
const refusal = (code: "forbidden" | "not_found", message: string): Permission => ({ ok: false, code, message });

/** Actions on a participant that `canActOn` must allow for that participant (a cohost never takes them on a host). */
const protectsTarget: ReadonlySet<HostAction> = new Set(["mute", "remove", "set_role", "recording_exclude"]);

export function authorize(actor: MeetingActor, request: HostRequest, roleOf: RoleLookup): Permission {
  // Self-mute is a presence change dressed as a host action; it must never need a role.
  if (request.action === "mute" && request.target === actor.identity) return allowed;

  if (!isModerator(actor.role)) return refusal("forbidden", `a ${actor.role} may not ${request.action}`);
  if (request.action === "end_meeting" && actor.role !== "host") return refusal("forbidden", "only a host may end the meeting");
  if (request.action === "set_role" && request.role === "host") return refusal("forbidden", "nobody can be made host");

  const target = "target" in request ? request.target : null;
  if (target === null) return allowed;

  if (target === actor.identity) {
    if (request.action === "remove") return refusal("forbidden", "you can't remove yourself; leave instead");
    if (request.action === "set_role") return refusal("forbidden", "you can't change your own role");
  }
  const targetRole = roleOf(target);
  if (targetRole === undefined) return refusal("not_found", `${target} is not in the meeting`);
  if (protectsTarget.has(request.action) && !canActOn(actor.role, targetRole)) {
    return refusal("forbidden", `a cohost may not ${request.action} the host`);
  }
  return allowed;
}

/** Shorthand for chat-log.ts's `canModerate`: may this actor edit or delete other people's messages? */
export function canModerateChat(actor: MeetingActor): boolean {
  return authorize(actor, { action: "chat_moderate" }, () => undefined).ok;
}

/**
 * Who a permitted `mute_all` actually mutes: everyone but the actor, minus the hosts when a cohost asks,
 * so `mute_all` can't be used to get around "a cohost may not mute the host".
 */
export function muteAllTargets(actor: MeetingActor, members: Iterable<{ identity: string; role: ParticipantRole }>): string[] {
  const targets: string[] = [];
  for (const member of members) {
    if (member.identity === actor.identity) continue;
    if (!canActOn(actor.role, member.role)) continue;
    targets.push(member.identity);
  }
  return targets;
}
