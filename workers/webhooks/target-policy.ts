import type { Config } from "../env.ts";
import type { TargetPolicy } from "./ssrf-guard.ts";

/** Production allows no private host and only https; the local stack names its loopback receivers and may use http. */
export function targetPolicyOf(config: Pick<Config, "WEBHOOK_ALLOWED_PRIVATE_HOSTS">): TargetPolicy {
  const allowedPrivateHosts = config.WEBHOOK_ALLOWED_PRIVATE_HOSTS;
  return { allowedPrivateHosts, requireHttps: allowedPrivateHosts.length === 0 };
}
