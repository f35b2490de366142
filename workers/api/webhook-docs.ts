import { z, type OpenAPIHono } from "@hono/zod-openapi";
import { webhookEventData, webhookEventTypes, webhookSchemaVersion } from "../webhooks/core/event-catalog.ts";
import type { AppEnv } from "./app-env.ts";

const verification =
  "Signed per Standard Webhooks: verify `webhook-id`, `webhook-timestamp` and `webhook-signature` over the raw body with " +
  "the endpoint's `whsec_` secret using any Standard Webhooks library (during a secret rotation the signature header " +
  "carries one signature per active secret). `webhook-id` is the event id: deduplicate on it. Deliveries of one meeting " +
  "arrive in the order of the facts; answer 2xx within 15 s, 410 to disable the endpoint, 429/503 with Retry-After to slow down.";

const signatureHeaders = z.object({
  "webhook-id": z.string().openapi({ description: "The event id (stable across retries)" }),
  "webhook-timestamp": z.string().openapi({ description: "Unix seconds of this attempt" }),
  "webhook-signature": z.string().openapi({ description: "Space-separated `v1,<base64 HMAC-SHA256>` signatures" }),
});

/** Publishes every event type in the OpenAPI document's `webhooks` section (OpenAPI 3.1), from the same schemas. */
export function registerWebhookDocs(app: OpenAPIHono<AppEnv>): void {
  for (const type of webhookEventTypes) {
    const envelope = z
      .object({
        id: z.uuid(),
        type: z.literal(type),
        version: z.literal(webhookSchemaVersion),
        timestamp: z.iso.datetime({ offset: true }),
        meetingId: z.uuid().nullable(),
        data: webhookEventData[type],
      })
      .openapi(`WebhookEvent_${type.replace(".", "_")}`);
    app.openAPIRegistry.registerWebhook({
      method: "post",
      path: type,
      tags: ["Webhook events"],
      summary: type,
      description: verification,
      request: { headers: signatureHeaders, body: { content: { "application/json": { schema: envelope } }, required: true } },
      responses: {
        200: { description: "Received (any 2xx)" },
        410: { description: "Gone: the endpoint is disabled" },
      },
    });
  }
}
