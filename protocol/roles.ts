import { z } from "zod";

/** The roles a join token can carry, strongest first. */
export const participantRoles = ["host", "cohost", "participant", "guest"] as const;
export const ParticipantRole = z.enum(participantRoles);
export type ParticipantRole = z.infer<typeof ParticipantRole>;

/** Roles a moderator may hand out with `set_role` (hosts come only from the join token). */
export const assignableRoles = ["cohost", "participant"] as const satisfies readonly ParticipantRole[];

/** Hosts and cohosts moderate: host controls, the waiting room, chat moderation. */
export const isModerator = (role: ParticipantRole): boolean => role === "host" || role === "cohost";

/**
 * Whether someone of `actor` role may take a host action aimed at someone of `target` role: a moderator may,
 * except that a cohost never acts on a host. The room, the API and the page all ask this one rule.
 */
export const canActOn = (actor: ParticipantRole, target: ParticipantRole): boolean =>
  isModerator(actor) && !(actor === "cohost" && target === "host");
