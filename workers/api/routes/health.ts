import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { readConfig } from "../../env.ts";
import { dependencyProbes } from "../../health/dependency-probes.ts";
import { runProbes } from "../../health/run-probes.ts";
import { logEvent } from "../../observability/log.ts";
import type { AppEnv } from "../app-env.ts";

const DependencySchema = z.object({
  status: z.enum(["up", "down"]),
  latencyMs: z.number(),
  error: z.string().optional(),
});
const HealthSchema = z
  .object({ status: z.enum(["ok", "degraded"]), dependencies: z.record(z.string(), DependencySchema) })
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
  const dependencies = await runProbes(dependencyProbes(readConfig(c.env), c.get("db")), { timeoutMs: 2500 });
  const down = Object.entries(dependencies).filter(([, result]) => result.status === "down");
  for (const [name, result] of down) logEvent("dependency_probe_failed", { dependency: name, error: result.error });
  c.header("cache-control", "no-store");
  return down.length
    ? c.json({ status: "degraded" as const, dependencies }, 503)
    : c.json({ status: "ok" as const, dependencies }, 200);
});
