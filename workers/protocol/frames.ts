import { z } from "zod";

/** Version of the meeting-room WebSocket protocol, sent in the first frame. */
export const protocolVersion = 1;

/** Server -> client frames of the foundation skeleton; the room protocol extends this union. */
export const serverFrameSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("welcome"),
    protocolVersion: z.literal(protocolVersion),
    meetingId: z.string(),
    identity: z.string(),
    role: z.enum(["host", "cohost", "participant", "guest"]),
  }),
  z.object({ type: z.literal("meeting_ended"), reason: z.string() }),
  z.object({ type: z.literal("error"), code: z.string(), message: z.string(), ref: z.string().optional() }),
]);

export type ServerFrame = z.infer<typeof serverFrameSchema>;
