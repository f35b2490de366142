import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env.ts";
import { ApiError } from "../errors.ts";
import { validationHook } from "../middleware/validation-hook.ts";
import { json, security } from "../schemas/openapi-parts.ts";
import { problemResponses } from "../schemas/problem.ts";
import {
  ListDeliveriesQuery,
  WebhookDeliveryDetailSchema,
  WebhookDeliveryIdParam,
  WebhookDeliveryPageSchema,
  WebhookDeliverySchema,
} from "../schemas/webhooks.ts";
import { encodeCursor } from "../../meetings/page-cursor.ts";
import { pageAfter, pageOf } from "../keyset-page.ts";
import { findDelivery, listDeliveries, replayDelivery } from "../../webhooks/delivery-log.ts";
import { pokeDispatchers } from "../../webhooks/dispatcher-client.ts";
import { requireEndpoint } from "./webhook-endpoints.ts";

const tags = ["Webhooks"];

const listDeliveriesRoute = createRoute({
  method: "get",
  path: "/v1/webhook-deliveries",
  tags,
  security,
  summary: "The delivery log: deliveries newest first with their latest attempts",
  request: { query: ListDeliveriesQuery },
  responses: { 200: { description: "A page of deliveries", content: json(WebhookDeliveryPageSchema) }, ...problemResponses(400, 401) },
});

const getDeliveryRoute = createRoute({
  method: "get",
  path: "/v1/webhook-deliveries/{id}",
  tags,
  security,
  summary: "One delivery with every attempt and the event as sent",
  request: { params: WebhookDeliveryIdParam },
  responses: { 200: { description: "The delivery", content: json(WebhookDeliveryDetailSchema) }, ...problemResponses(400, 401, 404) },
});

const replayDeliveryRoute = createRoute({
  method: "post",
  path: "/v1/webhook-deliveries/{id}/replay",
  tags,
  security,
  summary: "Send a delivery's event again (a new delivery, same webhook-id)",
  request: { params: WebhookDeliveryIdParam },
  responses: { 202: { description: "Queued", content: json(WebhookDeliverySchema) }, ...problemResponses(400, 401, 404, 409) },
});

export const webhookDeliveryRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(listDeliveriesRoute, async (c) => {
    const { limit, cursor, ...filter } = c.req.valid("query");
    const fetched = await listDeliveries(c.get("db"), c.get("tenantId"), filter, limit + 1, pageAfter(cursor));
    const { page, nextCursor } = pageOf(fetched.rows, limit, (last) => encodeCursor({ createdAt: new Date(last.createdAt), id: last.id }));
    return c.json({ data: page, nextCursor }, 200);
  })
  .openapi(getDeliveryRoute, async (c) => {
    const delivery = await findDelivery(c.get("db"), c.get("tenantId"), c.req.valid("param").id);
    if (!delivery) throw new ApiError("not_found", "No webhook delivery with this id");
    return c.json(delivery, 200);
  })
  .openapi(replayDeliveryRoute, async (c) => {
    const db = c.get("db");
    const tenantId = c.get("tenantId");
    const original = await findDelivery(db, tenantId, c.req.valid("param").id);
    if (!original) throw new ApiError("not_found", "No webhook delivery with this id");
    const endpoint = await requireEndpoint(db, tenantId, original.endpointId);
    if (!endpoint.enabled) throw new ApiError("webhook_endpoint_disabled", "enable the endpoint before replaying its deliveries");
    const replay = await replayDelivery(db, tenantId, original.id);
    if (!replay) throw new ApiError("not_found", "No webhook delivery with this id");
    const { shard, ...view } = replay;
    c.executionCtx.waitUntil(pokeDispatchers(c.env.WEBHOOK_DISPATCHER, [{ endpointId: replay.endpointId, shard }]));
    return c.json(view, 202);
  });
