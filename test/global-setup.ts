import { loadOrCreateSecrets } from "../scripts/lib/local-config.ts";
import { servicesUp } from "../scripts/services/index.ts";

/**
 * Brings up the real local stack before any test runs (idempotent: running services are reused).
 * TEST_SERVICES=redis,postgres limits it while working on one part.
 */
export default async function setup() {
  const secrets = await loadOrCreateSecrets();
  const only = process.env.TEST_SERVICES?.split(",").filter(Boolean);
  await servicesUp(secrets, only);
}
