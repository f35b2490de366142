import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { startDaemon, stopDaemon, waitUntil } from "../lib/daemon.ts";
import { host, ports, workerVars } from "../lib/local-config.ts";
import { cacheDir, dataDir, repoRoot, runDir } from "../lib/paths.ts";
import { bundleWorker } from "../lib/worker-bundle.ts";
import { serveArgs } from "../worker-runtime/serve-args.ts";
import { buildWeb, webOutDir } from "../lib/build-web.ts";
import type { LocalService } from "./local-service.ts";

export const workerUrl = `http://${host}:${ports.worker}`;
export const roomSocketsUrl = `http://${host}:${ports.roomSockets}`;

const apiConfig = path.join(repoRoot, "wrangler.toml");
const roomSocketsConfig = path.join(repoRoot, "wrangler.rooms.toml");

/**
 * The Hono app and its Durable Objects, and the room sockets' Worker beside it, on one workerd
 * (scripts/worker-runtime/serve.ts), wired to the local services.
 */
export const workerService: LocalService = {
  name: "worker",
  async up(secrets) {
    // The runtime reads secrets from .dev.vars, as wrangler dev does; written fresh each time so it matches .data/secrets.json.
    // Single quotes: dotenv takes them literally (the signing keys are JSON full of double quotes).
    const devVars = Object.entries(workerVars(secrets))
      .map(([key, value]) => {
        if (value.includes("'") || value.includes("\n")) throw new Error(`${key} cannot be written to .dev.vars`);
        return `${key}='${value}'`;
      })
      .join("\n");
    fs.writeFileSync(path.join(repoRoot, ".dev.vars"), `${devVars}\n`, { mode: 0o600 });
    // The meeting page is served from dist/web (the assets directory must exist for the Worker to start).
    await buildWeb();
    // The bundles `wrangler deploy` would upload, served on workerd with nothing in front (see serve.ts).
    const [apiScript, roomSocketsScript] = await Promise.all([
      bundleWorker(apiConfig, path.join(cacheDir, "worker-bundle")),
      bundleWorker(roomSocketsConfig, path.join(cacheDir, "room-sockets-bundle")),
    ]);
    // A running worker keeps the code, variables and assets it started with: a change of any means a restart.
    const hash = createHash("sha256").update(devVars);
    for (const file of [apiConfig, roomSocketsConfig, apiScript, roomSocketsScript, ...filesUnder(webOutDir)])
      hash.update(file).update(fs.readFileSync(file));
    const digest = hash.digest("hex");
    const digestFile = path.join(runDir, "worker.digest");
    if (fs.existsSync(digestFile) && fs.readFileSync(digestFile, "utf8") !== digest) await stopDaemon("worker");
    startDaemon({
      name: "worker",
      command: process.execPath,
      args: serveArgs({
        workers: [
          { config: apiConfig, script: apiScript, port: ports.worker },
          { config: roomSocketsConfig, script: roomSocketsScript, port: ports.roomSockets },
        ],
        host,
        triggerPort: ports.workerTriggers,
        persistTo: path.join(dataDir, "wrangler"),
      }),
      cwd: repoRoot,
      env: { WRANGLER_SEND_METRICS: "false", CI: process.env.CI ?? "true" },
    });
    fs.mkdirSync(runDir, { recursive: true });
    fs.writeFileSync(digestFile, digest);
    await waitUntil("worker", async () => (await fetch(`${workerUrl}/.well-known/jwks.json`)).ok, 90_000);
    // Answered by the room sockets' Worker itself: the problem for a connect without a token.
    await waitUntil(
      "room sockets",
      async () => (await fetch(`${roomSocketsUrl}/v1/meetings/00000000-0000-4000-8000-000000000000/connect`)).status === 401,
      30_000,
    );
    return workerUrl;
  },
  async down() {
    await stopDaemon("worker");
  },
};

/** Runs the Worker's cron handler for `cron` now (the runtime runs no crons by itself). */
export const scheduledUrl = (cron: string) =>
  `http://${host}:${ports.workerTriggers}/cdn-cgi/local/scheduled?cron=${encodeURIComponent(cron)}`;

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && !entry.name.endsWith(".tmp"))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}
