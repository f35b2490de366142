import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env.ts";
import { ApiError } from "../errors.ts";
import { validationHook } from "../middleware/validation-hook.ts";
import { json, security } from "../schemas/openapi-parts.ts";
import { problemResponses } from "../schemas/problem.ts";
import {
  CreateWebhookEndpointBody,
  RecoverBody,
  RecoveredSchema,
  RotatedSecretSchema,
  RotateSecretBody,
  UpdateWebhookEndpointBody,
  WebhookEndpointIdParam,
  WebhookEndpointListSchema,
  WebhookEndpointSchema,
  WebhookEndpointWithSecretSchema,
} from "../schemas/webhooks.ts";
import { readConfig } from "../../env.ts";
import { recoverSince } from "../../webhooks/delivery-log.ts";
import { pokeDispatchers } from "../../webhooks/dispatcher-client.ts";
import { allShardsOf } from "../../webhooks/core/lane-shards.ts";
import { resolveOverHttps } from "../../webhooks/doh-resolver.ts";
import {
  deleteEndpoint,
  findEndpoint,
  insertEndpoint,
  listEndpoints,
  rotateSecret,
  updateEndpoint,
  type SecretSealer,
  type WebhookEndpointRow,
} from "../../webhooks/endpoint-repository.ts";
import { sealSecret, secretsKey } from "../../crypto/secret-box.ts";
import { checkTarget } from "../../webhooks/core/ssrf-guard.ts";
import { parseTargetUrl, targetPolicyOf } from "../../webhooks/target-policy.ts";

const tags = ["Webhooks"];

const createEndpointRoute = createRoute({
  method: "post",
  path: "/v1/webhook-endpoints",
  tags,
  security,
  summary: "Register a webhook endpoint (its signing secret is shown once, here)",
  request: { body: { content: json(CreateWebhookEndpointBody), required: true } },
  responses: {
    201: { description: "Created", content: json(WebhookEndpointWithSecretSchema) },
    ...problemResponses(400, 401, 409, 413, 415, 422),
  },
});

const listEndpointsRoute = createRoute({
  method: "get",
  path: "/v1/webhook-endpoints",
  tags,
  security,
  summary: "List webhook endpoints",
  responses: { 200: { description: "The tenant's endpoints", content: json(WebhookEndpointListSchema) }, ...problemResponses(401) },
});

const getEndpointRoute = createRoute({
  method: "get",
  path: "/v1/webhook-endpoints/{id}",
  tags,
  security,
  summary: "Get a webhook endpoint",
  request: { params: WebhookEndpointIdParam },
  responses: { 200: { description: "The endpoint", content: json(WebhookEndpointSchema) }, ...problemResponses(400, 401, 404) },
});

const updateEndpointRoute = createRoute({
  method: "patch",
  path: "/v1/webhook-endpoints/{id}",
  tags,
  security,
  summary: "Change a webhook endpoint; enabling it resumes its waiting deliveries",
  request: { params: WebhookEndpointIdParam, body: { content: json(UpdateWebhookEndpointBody), required: true } },
  responses: {
    200: { description: "Updated", content: json(WebhookEndpointSchema) },
    ...problemResponses(400, 401, 404, 409, 413, 415, 422),
  },
});

const deleteEndpointRoute = createRoute({
  method: "delete",
  path: "/v1/webhook-endpoints/{id}",
  tags,
  security,
  summary: "Delete a webhook endpoint and its delivery log",
  request: { params: WebhookEndpointIdParam },
  responses: { 204: { description: "Deleted" }, ...problemResponses(400, 401, 404) },
});

const rotateSecretRoute = createRoute({
  method: "post",
  path: "/v1/webhook-endpoints/{id}/rotate-secret",
  tags,
  security,
  summary: "Replace the signing secret; the old one keeps signing beside it for the overlap",
  request: { params: WebhookEndpointIdParam, body: { content: json(RotateSecretBody), required: true } },
  responses: {
    200: { description: "The new secret (shown once)", content: json(RotatedSecretSchema) },
    ...problemResponses(400, 401, 404, 413, 415),
  },
});

const recoverRoute = createRoute({
  method: "post",
  path: "/v1/webhook-endpoints/{id}/recover",
  tags,
  security,
  summary: "Replay every dead delivery of this endpoint since a time",
  request: { params: WebhookEndpointIdParam, body: { content: json(RecoverBody), required: true } },
  responses: {
    202: { description: "Replays queued", content: json(RecoveredSchema) },
    ...problemResponses(400, 401, 404, 409, 413, 415),
  },
});

export const webhookEndpointRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(createEndpointRoute, async (c) => {
    const body = c.req.valid("json");
    await requireAllowedTarget(c.env, body.url);
    const created = await insertEndpoint(c.get("db"), c.get("tenantId"), body, await sealerOf(c.env));
    if ("refused" in created) {
      throw new ApiError(
        "webhook_endpoint_conflict",
        created.refused === "limit" ? "the tenant has as many endpoints as allowed" : "an endpoint with this URL exists",
      );
    }
    return c.json({ ...endpointView(created.row), signingSecret: created.signingSecret }, 201);
  })
  .openapi(listEndpointsRoute, async (c) => {
    const rows = await listEndpoints(c.get("db"), c.get("tenantId"));
    return c.json({ data: rows.map(endpointView) }, 200);
  })
  .openapi(getEndpointRoute, async (c) => {
    return c.json(endpointView(await requireEndpoint(c.get("db"), c.get("tenantId"), c.req.valid("param").id)), 200);
  })
  .openapi(updateEndpointRoute, async (c) => {
    const patch = c.req.valid("json");
    if (patch.url !== undefined) await requireAllowedTarget(c.env, patch.url);
    const id = c.req.valid("param").id;
    const updated = await updateEndpoint(c.get("db"), c.get("tenantId"), id, patch);
    if (updated === "duplicate_url") throw new ApiError("webhook_endpoint_conflict", "an endpoint with this URL exists");
    if (!updated) throw new ApiError("not_found", "No webhook endpoint with this id");
    if (updated.enabled) c.executionCtx.waitUntil(pokeDispatchers(c.env.WEBHOOK_DISPATCHER, allShardsOf(id)));
    return c.json(endpointView(updated), 200);
  })
  .openapi(deleteEndpointRoute, async (c) => {
    if (!(await deleteEndpoint(c.get("db"), c.get("tenantId"), c.req.valid("param").id))) {
      throw new ApiError("not_found", "No webhook endpoint with this id");
    }
    return c.body(null, 204);
  })
  .openapi(rotateSecretRoute, async (c) => {
    const { overlapSeconds } = c.req.valid("json");
    const rotated = await rotateSecret(c.get("db"), c.get("tenantId"), c.req.valid("param").id, overlapSeconds, await sealerOf(c.env));
    if (!rotated) throw new ApiError("not_found", "No webhook endpoint with this id");
    return c.json(
      { signingSecret: rotated.signingSecret, previousSecretExpiresAt: rotated.row.previousSecretExpiresAt?.toISOString() ?? null },
      200,
    );
  })
  .openapi(recoverRoute, async (c) => {
    const id = c.req.valid("param").id;
    const endpoint = await requireEndpoint(c.get("db"), c.get("tenantId"), id);
    if (!endpoint.enabled) throw new ApiError("webhook_endpoint_disabled", "enable the endpoint before recovering its deliveries");
    const replayed = await recoverSince(c.get("db"), c.get("tenantId"), id, new Date(c.req.valid("json").since));
    if (replayed > 0) c.executionCtx.waitUntil(pokeDispatchers(c.env.WEBHOOK_DISPATCHER, allShardsOf(id)));
    return c.json({ replayed }, 202);
  });

/** 404 for an endpoint that does not exist or is another tenant's: the two are indistinguishable. */
export async function requireEndpoint(db: AppEnv["Variables"]["db"], tenantId: string, id: string): Promise<WebhookEndpointRow> {
  const endpoint = await findEndpoint(db, tenantId, id);
  if (!endpoint) throw new ApiError("not_found", "No webhook endpoint with this id");
  return endpoint;
}

async function sealerOf(env: AppEnv["Bindings"]): Promise<SecretSealer> {
  const key = await secretsKey(readConfig(env).WEBHOOK_SECRETS_KEY);
  return (endpointId, secret) => sealSecret(key, endpointId, secret);
}

async function requireAllowedTarget(env: AppEnv["Bindings"], url: string): Promise<void> {
  const checked = await checkTarget(parseTargetUrl(url), targetPolicyOf(readConfig(env)), resolveOverHttps);
  if (!checked.ok) throw new ApiError("webhook_target_refused", checked.reason);
}

function endpointView(row: WebhookEndpointRow) {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    eventTypes: row.eventTypes,
    enabled: row.enabled,
    disabledReason: (row.disabledReason as "gone" | "failing" | "tenant" | null) ?? null,
    disabledAt: row.disabledAt?.toISOString() ?? null,
    disableAfterSeconds: row.disableAfterSeconds,
    failingSince: row.failingSince?.toISOString() ?? null,
    previousSecretExpiresAt: row.previousSecretExpiresAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
