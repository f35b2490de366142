import path from "node:path";
import { repoRoot } from "../lib/paths.ts";

export interface ServeOptions {
  /** The wrangler.toml whose bindings, assets and Durable Objects the Worker gets. */
  config: string;
  /** The bundled module (scripts/lib/worker-bundle.ts). */
  script: string;
  host: string;
  port: number;
  triggerPort: number;
  persistTo: string;
  quiet?: boolean;
}

/** Node's arguments to run serve.ts (under tsx) for one Worker: `spawn(process.execPath, serveArgs(…))`. */
export function serveArgs(options: ServeOptions): string[] {
  return [
    "--import",
    "tsx",
    path.join(repoRoot, "scripts/worker-runtime/serve.ts"),
    "--config",
    options.config,
    "--script",
    options.script,
    "--host",
    options.host,
    "--port",
    String(options.port),
    "--trigger-port",
    String(options.triggerPort),
    "--persist-to",
    options.persistTo,
    ...(options.quiet ? ["--quiet"] : []),
  ];
}
