import { z } from "zod";

/** One participant's connection to the SFU: what its usage record is keyed and timed by. */
export const SfuSession = z.object({ roomSid: z.string().max(64), participantSid: z.string().max(64), joinedAt: z.iso.datetime() });
export type SfuSession = z.infer<typeof SfuSession>;

/**
 * What a meeting room is told about its media, from LiveKit's verified webhooks (via the Worker): who is on the
 * SFU, which tracks, what the room and its egress did. Checked again where the room receives it.
 */
export const MediaRoomEvent = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("sfu_room"), active: z.boolean(), at: z.string() }),
  z.object({
    kind: z.literal("sfu_participant"),
    identity: z.string().max(128),
    connected: z.boolean(),
    at: z.string(),
    session: SfuSession.optional(),
  }),
  z.object({
    kind: z.literal("sfu_track"),
    identity: z.string().max(128),
    trackSid: z.string(),
    source: z.string().max(32),
    published: z.boolean(),
    at: z.string(),
  }),
  z.object({ kind: z.literal("egress"), egressId: z.string().max(128), status: z.string().max(64), at: z.string() }),
]);
export type MediaRoomEvent = z.infer<typeof MediaRoomEvent>;
