import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { readConfig } from "../../env.ts";
import { deadWebhookDeliveries, unresolvedDeadLetters } from "../../health/dead-letters.ts";
import { dependencyProbes } from "../../health/dependency-probes.ts";
import { runProbes, withTimeout } from "../../health/run-probes.ts";
import { logEvent } from "../../observability/log.ts";
import type { AppEnv } from "../app-env.ts";

const DependencySchema = z.object({
  status: z.enum(["up", "down"]),
  latencyMs: z.number(),
  error: z.string().optional(),
});
const OutboxSchema = z.object({
  /** Unresolved records meeting rooms set aside after Postgres kept refusing them; null when it can't be counted. */
  deadLetters: z.number().int().nullable(),
});
const WebhooksSchema = z.object({
  /** Deliveries dead after every attempt and not delivered by a replay since; null when it can't be counted. */
  deadDeliveries: z.number().int().nullable(),
});
const HealthSchema = z
  .object({
    status: z.enum(["ok", "degraded"]),
    dependencies: z.record(z.string(), DependencySchema),
    outbox: OutboxSchema,
    webhooks: WebhooksSchema,
  })
  .openapi("Health");

const healthRoute = createRoute({
  method: "get",
  path: "/healthz",
  tags: ["Operations"],
  summary: "Dependency health with latencies (unauthenticated, for load balancers; reveals no data)",
  responses: {
    200: { description: "All dependencies up", content: { "application/json": { schema: HealthSchema } } },
    503: { description: "At least one dependency down", content: { "application/json": { schema: HealthSchema } } },
  },
});

export const healthRoutes = new OpenAPIHono<AppEnv>().openapi(healthRoute, async (c) => {
  const db = c.get("db");
  // Counted alongside the probes, within the same bound; a dead letter is for an operator, not a load balancer.
  const [dependencies, deadLetters, deadDeliveries] = await Promise.all([
    runProbes(dependencyProbes(readConfig(c.env), db), { timeoutMs: 2500 }),
    withTimeout(unresolvedDeadLetters(db), 2500).catch(() => null),
    withTimeout(deadWebhookDeliveries(db), 2500).catch(() => null),
  ]);
  const outbox = { deadLetters };
  const webhooks = { deadDeliveries };
  const down = Object.entries(dependencies).filter(([, result]) => result.status === "down");
  for (const [name, result] of down) logEvent("dependency_probe_failed", { dependency: name, error: result.error });
  c.header("cache-control", "no-store");
  return down.length
    ? c.json({ status: "degraded" as const, dependencies, outbox, webhooks }, 503)
    : c.json({ status: "ok" as const, dependencies, outbox, webhooks }, 200);
});
