import fs from "node:fs";
import path from "node:path";
import { startDaemon, stopDaemon, waitUntil } from "../lib/daemon.ts";
import { host, ports, workerVars } from "../lib/local-config.ts";
import { dataDir, repoRoot } from "../lib/paths.ts";
import { buildWeb } from "../lib/build-web.ts";
import type { LocalService } from "./local-service.ts";

export const workerUrl = `http://${host}:${ports.worker}`;

/** The Hono app and Meeting Durable Object under `wrangler dev` (workerd), wired to the local services. */
export const workerService: LocalService = {
  name: "worker",
  async up(secrets) {
    // wrangler dev reads secrets from .dev.vars; written fresh each time so it matches .data/secrets.json.
    // Single quotes: dotenv takes them literally (the signing keys are JSON full of double quotes).
    const devVars = Object.entries(workerVars(secrets))
      .map(([key, value]) => {
        if (value.includes("'") || value.includes("\n")) throw new Error(`${key} cannot be written to .dev.vars`);
        return `${key}='${value}'`;
      })
      .join("\n");
    const devVarsFile = path.join(repoRoot, ".dev.vars");
    const previous = fs.existsSync(devVarsFile) ? fs.readFileSync(devVarsFile, "utf8") : null;
    // A running wrangler keeps the variables it started with: a changed set means a restart.
    if (previous !== null && previous !== `${devVars}\n`) await stopDaemon("worker");
    fs.writeFileSync(devVarsFile, `${devVars}\n`, { mode: 0o600 });
    // The meeting page is served from dist/web; wrangler refuses to start without it.
    await buildWeb();
    startDaemon({
      name: "worker",
      command: path.join(repoRoot, "node_modules/.bin/wrangler"),
      args: [
        "dev",
        "--ip",
        host,
        "--port",
        String(ports.worker),
        "--inspector-port",
        String(ports.worker + 1000),
        "--persist-to",
        path.join(dataDir, "wrangler"),
        "--log-level",
        "log",
        "--show-interactive-dev-session=false",
        // GET /__scheduled runs the cron's webhook sweep (wrangler dev runs no crons by itself).
        "--test-scheduled",
      ],
      cwd: repoRoot,
      // No request.cf download (closed network); no telemetry.
      env: { WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", CI: process.env.CI ?? "true" },
    });
    await waitUntil("worker", async () => (await fetch(`${workerUrl}/.well-known/jwks.json`)).ok, 90_000);
    return workerUrl;
  },
  async down() {
    await stopDaemon("worker");
  },
};
