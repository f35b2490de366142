import { z } from "zod";

/**
 * Branded ids, made by parsing: `TenantId.parse(value)` checks the shape and brands it, so a TenantId can't be
 * passed where a MeetingId is expected and no id enters the code unchecked. zod's brand is the only brand.
 */
export const TenantId = z.uuid().brand("TenantId");
export type TenantId = z.infer<typeof TenantId>;

export const MeetingId = z.uuid().brand("MeetingId");
export type MeetingId = z.infer<typeof MeetingId>;

export const ApiKeyId = z.uuid().brand("ApiKeyId");
export type ApiKeyId = z.infer<typeof ApiKeyId>;

/** A tenant's webhook receiver; also names its dispatcher. */
export const WebhookEndpointId = z.uuid().brand("WebhookEndpointId");
export type WebhookEndpointId = z.infer<typeof WebhookEndpointId>;

export const WebhookDeliveryId = z.uuid().brand("WebhookDeliveryId");
export type WebhookDeliveryId = z.infer<typeof WebhookDeliveryId>;

/** The tenant's name for one of its users in a meeting (the join token's `sub`). */
export const ParticipantIdentity = z.string().min(1).max(128).brand("ParticipantIdentity");
export type ParticipantIdentity = z.infer<typeof ParticipantIdentity>;

/** A room on the media server (one per meeting); distinct from the meeting id it is derived from. */
export const MediaRoomName = z.string().min(1).max(256).brand("MediaRoomName");
export type MediaRoomName = z.infer<typeof MediaRoomName>;

/** A fleet region ("us-east"): the unit placement ranks and capacity is decided for. */
export const RegionId = z
  .string()
  .regex(
    /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/,
    "must be 1-64 lowercase letters, digits or '-', starting and ending with a letter or digit",
  )
  .brand("RegionId");
export type RegionId = z.infer<typeof RegionId>;

/** One SFU node (a LiveKit node, or a LiveKit Cloud project). */
export const NodeId = z
  .string()
  .regex(
    /^[A-Za-z0-9](?:[A-Za-z0-9._:-]{0,126}[A-Za-z0-9])?$/,
    "must be 1-128 letters, digits, '.', '_', ':' or '-', starting and ending with a letter or digit",
  )
  .brand("NodeId");
export type NodeId = z.infer<typeof NodeId>;
