import { z } from "zod";

/** The roles a join token can carry, strongest first. */
export const participantRoles = ["host", "cohost", "participant", "guest"] as const;
export const ParticipantRole = z.enum(participantRoles);
export type ParticipantRole = z.infer<typeof ParticipantRole>;

/** Roles a moderator may hand out with `set_role` (hosts come only from the join token). */
export const assignableRoles = ["cohost", "participant"] as const satisfies readonly ParticipantRole[];
