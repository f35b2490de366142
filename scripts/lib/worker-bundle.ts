import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { repoRoot } from "./paths.ts";

const run = promisify(execFile);

/**
 * Bundles a wrangler.toml's Worker exactly as `wrangler deploy` would upload it (`--dry-run --outdir`: esbuild,
 * the nodejs_compat polyfills, one module named after `main`), for scripts/worker-runtime/serve.ts to run. A few
 * seconds. Returns the module's path.
 */
export async function bundleWorker(configPath: string, outDir: string): Promise<string> {
  fs.rmSync(outDir, { recursive: true, force: true });
  await run(path.join(repoRoot, "node_modules/.bin/wrangler"), ["deploy", "--dry-run", "--config", configPath, "--outdir", outDir], {
    cwd: repoRoot,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" },
    maxBuffer: 16 * 1024 * 1024,
  });
  const modules = fs.readdirSync(outDir).filter((name) => name.endsWith(".js"));
  if (modules.length !== 1) throw new Error(`expected one module in ${outDir}, found ${modules.join(", ") || "none"}`);
  return path.join(outDir, modules[0]!);
}
