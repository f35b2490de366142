import { canActOn, isModerator, type ParticipantRole } from "../../../protocol/roles.ts";
import { refuse, type Refusal } from "./room-refusal.ts";

/**
 * Who may do what to whom in a meeting. Pure: the Durable Object passes the actor, the request and a
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
export type { ParticipantRole };

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

export interface Actor {
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

export type Permission = { ok: true } | Refusal;

/** Looks up a participant's role in the meeting; `undefined` means "not in the meeting". */
export type RoleLookup = (identity: string) => ParticipantRole | undefined;

const allowed: Permission = { ok: true };

/** Actions on a participant that `canActOn` must allow for that participant (a cohost never takes them on a host). */
const protectsTarget: ReadonlySet<HostAction> = new Set(["mute", "remove", "set_role", "recording_exclude"]);

export function authorize(actor: Actor, request: HostRequest, roleOf: RoleLookup): Permission {
  // Self-mute is a presence change dressed as a host action; it must never need a role.
  if (request.action === "mute" && request.target === actor.identity) return allowed;

  if (!isModerator(actor.role)) return refuse("forbidden", `a ${actor.role} may not ${request.action}`);
  if (request.action === "end_meeting" && actor.role !== "host") return refuse("forbidden", "only a host may end the meeting");
  if (request.action === "set_role" && request.role === "host") return refuse("forbidden", "nobody can be made host");

  const target = "target" in request ? request.target : null;
  if (target === null) return allowed;

  if (target === actor.identity) {
    if (request.action === "remove") return refuse("forbidden", "you can't remove yourself; leave instead");
    if (request.action === "set_role") return refuse("forbidden", "you can't change your own role");
  }
  const targetRole = roleOf(target);
  if (targetRole === undefined) return refuse("not_found", `${target} is not in the meeting`);
  if (protectsTarget.has(request.action) && !canActOn(actor.role, targetRole)) {
    return refuse("forbidden", `a cohost may not ${request.action} the host`);
  }
  return allowed;
}

/** Shorthand for chat-log.ts's `canModerate`: may this actor edit or delete other people's messages? */
export function canModerateChat(actor: Actor): boolean {
  return authorize(actor, { action: "chat_moderate" }, () => undefined).ok;
}

/**
 * Who a permitted `mute_all` actually mutes: everyone but the actor, minus the hosts when a cohost asks,
 * so `mute_all` can't be used to get around "a cohost may not mute the host".
 */
export function muteAllTargets(actor: Actor, members: Iterable<{ identity: string; role: ParticipantRole }>): string[] {
  const targets: string[] = [];
  for (const member of members) {
    if (member.identity === actor.identity) continue;
    if (!canActOn(actor.role, member.role)) continue;
    targets.push(member.identity);
  }
  return targets;
}
