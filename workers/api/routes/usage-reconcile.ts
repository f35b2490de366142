import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { reconcileTenantUsage } from "../../usage/shell/usage-reconciler.ts";
import type { AppEnv } from "../app-env.ts";
import { validationHook } from "../middleware/validation-hook.ts";
import { problemResponses } from "../schemas/problem.ts";

const ReconcileResultSchema = z
  .object({
    meetings: z.number().int().openapi({ description: "Live meetings whose SFU sessions were compared with the fleet's lists" }),
    sessionsReported: z.number().int().openapi({ description: "SFU sessions the fleet listed, reported to their meeting rooms" }),
    nodesUnreachable: z.number().int(),
    objectsMetered: z.number().int().openapi({ description: "Stored objects metered (attachment bytes, today's byte-days)" }),
  })
  .openapi("UsageReconcileResult");

const reconcileRoute = createRoute({
  method: "post",
  path: "/v1/usage/reconcile",
  tags: ["Usage"],
  security: [{ apiKey: [] }],
  summary: "Run a metering pass now: SFU sessions against the fleet's own lists, storage against the object store (idempotent)",
  responses: {
    200: { description: "What the pass found", content: { "application/json": { schema: ReconcileResultSchema } } },
    ...problemResponses(401, 503),
  },
});

export const usageReconcileRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook }).openapi(reconcileRoute, async (c) =>
  c.json(await reconcileTenantUsage(c.env, c.get("db"), c.get("tenantId")), 200),
);
