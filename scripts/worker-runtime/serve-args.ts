import path from "node:path";
import { z } from "zod";
import { repoRoot } from "../lib/paths.ts";

const servedWorkerSchema = z.object({
  /** The wrangler.toml whose bindings, assets and Durable Objects the Worker gets. */
  config: z.string().min(1),
  /** The bundled module (scripts/lib/worker-bundle.ts). */
  script: z.string().min(1),
  /** The Worker's own socket. */
  port: z.number().int().min(1).max(65_535),
});

export type ServedWorker = z.infer<typeof servedWorkerSchema>;

export function parseServedWorker(argument: string): ServedWorker {
  return servedWorkerSchema.parse(JSON.parse(argument));
}

export interface ServeOptions {
  /** The Workers of one runtime; the first one's crons answer on the trigger port. */
  workers: ServedWorker[];
  host: string;
  triggerPort: number;
  persistTo: string;
  quiet?: boolean;
}

/** Node's arguments to run serve.ts (under tsx): `spawn(process.execPath, serveArgs(…))`. */
export function serveArgs(options: ServeOptions): string[] {
  return [
    "--import",
    "tsx",
    path.join(repoRoot, "scripts/worker-runtime/serve.ts"),
    ...options.workers.flatMap((worker) => ["--worker", JSON.stringify(worker)]),
    "--host",
    options.host,
    "--trigger-port",
    String(options.triggerPort),
    "--persist-to",
    options.persistTo,
    ...(options.quiet ? ["--quiet"] : []),
  ];
}
