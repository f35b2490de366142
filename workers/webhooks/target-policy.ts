import type { Config } from "../env.ts";
import type { TargetPolicy, TargetUrl } from "./core/ssrf-guard.ts";

/** Production allows no private host and only https; the local stack names its loopback receivers and may use http. */
export function targetPolicyOf(config: Pick<Config, "WEBHOOK_ALLOWED_PRIVATE_HOSTS">): TargetPolicy {
  const allowedPrivateHosts = config.WEBHOOK_ALLOWED_PRIVATE_HOSTS;
  return { allowedPrivateHosts, requireHttps: allowedPrivateHosts.length === 0 };
}

/** Parses an endpoint URL the way the runtime will fetch it; null when it is not an absolute URL. */
export function parseTargetUrl(raw: string): TargetUrl | null {
  try {
    return new URL(raw);
  } catch {
    return null;
  }
}
