import { fleetConfigFromEnv, type FleetConfig } from "../../media-fleet/fleet-config.ts";
import type { Env } from "../env.ts";

const cache = new WeakMap<Env, FleetConfig>();

/**
 * The Worker's media fleet, parsed once per isolate's env (like readConfig): webhooks and room effects look it
 * up on every call. A misconfigured fleet throws with the issues (which never quote a secret).
 */
export function mediaFleetOf(env: Env): FleetConfig {
  const cached = cache.get(env);
  if (cached) return cached;
  const parsed = fleetConfigFromEnv(env as unknown as Record<string, string | undefined>);
  if (!parsed.ok) throw new Error(`media fleet misconfigured: ${parsed.issues.join("; ")}`);
  cache.set(env, parsed.fleet);
  return parsed.fleet;
}
