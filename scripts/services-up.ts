import { loadOrCreateSecrets } from "./lib/local-config.ts";
import { servicesUp } from "./services/index.ts";

// Usage: npm run services:up [-- name ...]   (names: postgres redis s3 turn livekit livekit-b migrations lambda worker)
const secrets = await loadOrCreateSecrets();
for (const [name, description] of await servicesUp(secrets, process.argv.slice(2))) {
  console.log(`${name.padEnd(9)} ${description}`);
}
