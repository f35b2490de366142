import { z } from "@hono/zod-openapi";
import { participantRoles } from "../../../protocol/roles.ts";
import { isStorableLine, storableTextMessage } from "../../../protocol/text.ts";

export const MintJoinTokenBody = z
  .strictObject({
    identity: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[\w.@:-]+$/, "identity may contain letters, digits and _ . @ : -")
      .refine(isStorableLine, storableTextMessage)
      .openapi({ description: "The tenant's stable id for this participant", example: "user-42" }),
    name: z.string().trim().min(1).max(128).refine(isStorableLine, storableTextMessage).optional().openapi({ example: "Ada Lovelace" }),
    role: z.enum(participantRoles).default("participant"),
    ttlSeconds: z.number().int().min(30).max(3600).optional().openapi({ description: "Defaults to the server's setting (300 s)" }),
  })
  .openapi("MintJoinToken");

export const JoinTokenSchema = z
  .object({
    token: z.string(),
    expiresAt: z.string(),
    connectUrl: z.string().openapi({ description: "WebSocket URL for the meeting room, token included" }),
  })
  .openapi("JoinToken");
