import { z } from "@hono/zod-openapi";
import { uuidIdParam } from "./openapi-parts.ts";
import { pageQueryFields } from "./page-query.ts";
import { MeetingId, WebhookDeliveryId, WebhookEndpointId } from "../../../protocol/ids.ts";
import { isStorableLine, storableTextMessage } from "../../../protocol/text.ts";
import { WebhookEventTypeSchema } from "../../webhooks/core/event-catalog.ts";

const dateTime = z.iso.datetime({ offset: true }).openapi({ example: "2026-12-01T15:00:00Z" });
const maxDisableAfterSeconds = 30 * 86_400;

export const WebhookEndpointIdParam = uuidIdParam(WebhookEndpointId, "0f5c3f7e-5a1e-4b7e-9a51-2f1d6f3f7a10");

export const WebhookDeliveryIdParam = uuidIdParam(WebhookDeliveryId, "3d1e8b52-8c7f-4d0c-bf7e-6a3f0e2d9c41");

const eventTypes = z
  .array(WebhookEventTypeSchema)
  .max(32)
  .refine((types) => new Set(types).size === types.length, "list each event type once")
  .openapi({ description: "Empty: every event type except the opt-in ones (`chat.message`)" });

const endpointFields = {
  url: z.string().max(2048).openapi({
    example: "https://hooks.example.com/meetings",
    description: "https only; private, loopback and metadata addresses are refused",
  }),
  description: z.string().max(500).refine(isStorableLine, storableTextMessage),
  eventTypes,
  enabled: z.boolean(),
  disableAfterSeconds: z
    .number()
    .int()
    .min(1)
    .max(maxDisableAfterSeconds)
    .openapi({ description: "Disable the endpoint after its deliveries kept failing this long (default 5 days)" }),
};

export const CreateWebhookEndpointBody = z
  .strictObject({
    url: endpointFields.url,
    description: endpointFields.description.default(""),
    eventTypes: endpointFields.eventTypes.default([]),
    enabled: endpointFields.enabled.default(true),
    disableAfterSeconds: endpointFields.disableAfterSeconds.default(432_000),
  })
  .openapi("CreateWebhookEndpoint");

export const UpdateWebhookEndpointBody = z
  .strictObject(endpointFields)
  .partial()
  .refine((patch) => Object.keys(patch).length > 0, "send at least one field to change")
  .openapi("UpdateWebhookEndpoint");

export const RotateSecretBody = z
  .strictObject({
    overlapSeconds: z
      .number()
      .int()
      .min(0)
      .max(7 * 86_400)
      .default(86_400)
      .openapi({ description: "How long the old secret keeps signing beside the new one" }),
  })
  .openapi("RotateWebhookSecret");

export const RecoverBody = z.strictObject({ since: dateTime }).openapi("RecoverWebhookDeliveries");

export const WebhookEndpointSchema = z
  .object({
    id: z.uuid(),
    url: z.string(),
    description: z.string(),
    eventTypes: z.array(z.string()),
    enabled: z.boolean(),
    disabledReason: z.enum(["gone", "failing", "tenant"]).nullable(),
    disabledAt: dateTime.nullable(),
    disableAfterSeconds: z.number().int(),
    failingSince: dateTime.nullable(),
    previousSecretExpiresAt: dateTime.nullable(),
    createdAt: dateTime,
    updatedAt: dateTime,
  })
  .openapi("WebhookEndpoint");

export const WebhookEndpointWithSecretSchema = WebhookEndpointSchema.extend({
  signingSecret: z.string().openapi({ description: "Shown once. Verify deliveries with any Standard Webhooks library." }),
}).openapi("WebhookEndpointWithSecret");

export const RotatedSecretSchema = z
  .object({ signingSecret: z.string(), previousSecretExpiresAt: dateTime.nullable() })
  .openapi("RotatedWebhookSecret");

export const WebhookEndpointListSchema = z.object({ data: z.array(WebhookEndpointSchema) }).openapi("WebhookEndpointList");

export const WebhookAttemptSchema = z
  .object({
    attempt: z.number().int(),
    startedAt: dateTime,
    latencyMs: z.number().int(),
    statusCode: z.number().int().nullable(),
    responseSnippet: z.string().nullable(),
    error: z.string().nullable(),
  })
  .openapi("WebhookAttempt");

export const deliveryStatuses = ["pending", "delivered", "failed", "dead"] as const;

export const WebhookDeliverySchema = z
  .object({
    id: z.uuid(),
    endpointId: z.uuid(),
    eventId: z.uuid(),
    eventType: z.string(),
    meetingId: z.uuid().nullable(),
    status: z.enum(deliveryStatuses),
    attempts: z.number().int(),
    nextAttemptAt: dateTime.nullable(),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    createdAt: dateTime,
    deliveredAt: dateTime.nullable(),
    replayOf: z.uuid().nullable(),
    attemptLog: z.array(WebhookAttemptSchema).openapi({ description: "The latest attempts, newest first (at most 10 in lists)" }),
  })
  .openapi("WebhookDelivery");

export const WebhookDeliveryDetailSchema = WebhookDeliverySchema.extend({
  event: z.record(z.string(), z.unknown()).openapi({ description: "The event envelope exactly as sent" }),
}).openapi("WebhookDeliveryDetail");

export const WebhookDeliveryPageSchema = z
  .object({ data: z.array(WebhookDeliverySchema), nextCursor: z.string().nullable() })
  .openapi("WebhookDeliveryPage");

export const ListDeliveriesQuery = z.object({
  endpointId: z
    .uuid()
    .toLowerCase()
    .pipe(WebhookEndpointId)
    .optional()
    .openapi({ param: { name: "endpointId", in: "query" } }),
  eventType: WebhookEventTypeSchema.optional().openapi({ param: { name: "eventType", in: "query" } }),
  meetingId: z
    .uuid()
    .toLowerCase()
    .pipe(MeetingId)
    .optional()
    .openapi({ param: { name: "meetingId", in: "query" } }),
  status: z
    .enum(deliveryStatuses)
    .optional()
    .openapi({ param: { name: "status", in: "query" } }),
  ...pageQueryFields,
});

export const RecoveredSchema = z.object({ replayed: z.number().int() }).openapi("RecoveredWebhookDeliveries");
