import fs from "node:fs";
import path from "node:path";
import { databaseUrl, loadOrCreateSecrets } from "./lib/local-config.ts";
import { ensureDevTenant } from "./lib/dev-tenant.ts";
import { connectDevSignIn } from "./lib/dev-sign-in.ts";
import { logDir, repoRoot } from "./lib/paths.ts";
import { servicesDown, servicesUp } from "./services/index.ts";
import { workerService, workerUrl } from "./services/worker.ts";

// npm run dev: the whole stack on loopback, a seeded dev tenant, and Ctrl-C to stop it all.
const secrets = await loadOrCreateSecrets();
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  console.log("\nstopping the local stack…");
  await servicesDown();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

try {
  const described = await servicesUp(secrets);
  const tenant = await ensureDevTenant(databaseUrl(secrets));
  const signInUrl = await connectDevSignIn(secrets, tenant);
  console.log("\nLocal stack is up:");
  for (const [name, description] of described) console.log(`  ${name.padEnd(10)} ${description}`);
  // The key rides in the URL fragment, which browsers never send to the server.
  console.log(`\n  Meeting page ${workerUrl}/#key=${tenant.apiKey}&tenant=${tenant.tenantId}`);
  console.log(`  API         ${workerUrl}/v1   (OpenAPI: ${workerUrl}/v1/openapi.json)`);
  console.log(`  Sign in     ${signInUrl}   (any login and password; owner.you@… signs in as an owner)`);
  console.log(`  Health      ${workerUrl}/healthz`);
  console.log(`  Dev tenant  ${tenant.tenantId}`);
  console.log(`  API key     ${tenant.apiKey}`);
  console.log(`  Logs        ${logDir}`);
  console.log(`\nTry: curl -s -X POST ${workerUrl}/v1/meetings -H "authorization: Bearer ${tenant.apiKey}" \\`);
  console.log(`       -H 'content-type: application/json' -d '{"title":"Standup"}'`);
  watchWorkerSources();
  console.log("\nSaving a file of the Worker or the page rebuilds and restarts the Worker. Ctrl-C stops everything.");
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  await stop();
}
/** What the Worker bundle and the page are built from: a save re-runs the worker service's up, which restarts it when the build changed. */
function watchWorkerSources(): void {
  let timer: NodeJS.Timeout | undefined;
  let running = Promise.resolve();
  const rebuild = () => {
    running = running
      .then(() => workerService.up(secrets))
      .then(
        () => console.log(`worker rebuilt (${new Date().toLocaleTimeString()})`),
        (error: unknown) => console.error(`worker rebuild failed: ${error instanceof Error ? error.message : String(error)}`),
      );
  };
  for (const dir of ["workers", "protocol", "web", "schema"]) {
    fs.watch(path.join(repoRoot, dir), { recursive: true }, () => {
      clearTimeout(timer);
      timer = setTimeout(rebuild, 300);
    });
  }
}

// Keep the process alive until a signal arrives.
setInterval(() => {}, 1 << 30);
