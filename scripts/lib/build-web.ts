import fs from "node:fs/promises";
import path from "node:path";
import { build, type Plugin } from "esbuild";
import { repoRoot } from "./paths.ts";

const webDir = path.join(repoRoot, "web");
/** Served by wrangler as static assets (`[assets] directory` in wrangler.toml). */
export const webOutDir = path.join(repoRoot, "dist", "web");
const staticFiles = ["index.html", "styles.css"];

/** Chunks the page loads on demand (`import()`), such as hls.js for the recording player: `chunks/<name>-<hash>.js`. */
const chunksDir = "chunks";

/**
 * Bundles the meeting page (web/src/main.ts plus the shared protocol and zod) into dist/web/app.js, with what it
 * imports dynamically split into content-hashed chunks, and copies the static files beside it. Runs on every
 * Worker start, so it only rewrites files whose bytes changed: wrangler watches the assets directory and an
 * identical rebuild must not look like an edit. Chunks no build refers to any more are removed.
 */
export async function buildWeb(): Promise<string> {
  const result = await build({
    entryPoints: { app: path.join(webDir, "src", "main.ts") },
    outdir: webOutDir,
    entryNames: "[name]",
    chunkNames: `${chunksDir}/[name]-[hash]`,
    splitting: true,
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    sourcemap: true,
    write: false,
    logLevel: "silent",
    legalComments: "none",
    plugins: [withoutZodLocales],
  });
  await fs.mkdir(webOutDir, { recursive: true });
  const outputs = [
    ...result.outputFiles.map((file) => ({ target: file.path, bytes: Buffer.from(file.contents) })),
    ...(await Promise.all(
      staticFiles.map(async (name) => ({ target: path.join(webOutDir, name), bytes: await fs.readFile(path.join(webDir, name)) })),
    )),
  ];
  await fs.mkdir(path.join(webOutDir, chunksDir), { recursive: true });
  await Promise.all(outputs.map(({ target, bytes }) => writeIfChanged(target, bytes)));
  await removeStaleChunks(new Set(outputs.map(({ target }) => target)));
  return webOutDir;
}

/**
 * zod's `z` and `z.core` namespaces re-export every locale (`z.locales`), which a bundler can't drop through the namespace:
 * 260 KB of error messages in 40 languages, half the bundle. Nothing on the page uses them (English is
 * registered by zod's schemas module directly), so those re-exports resolve to an empty module. If zod moves
 * the file the filter simply stops matching and the bundle is larger, never broken.
 */
const withoutZodLocales: Plugin = {
  name: "without-zod-locales",
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/](classic|core)[\\/]/.test(args.importer) ? { path: "zod-locales", namespace: "empty" } : undefined,
    );
    pluginBuild.onLoad({ filter: /.*/, namespace: "empty" }, () => ({ contents: "export {};", loader: "js" }));
  },
};

/** A chunk's name carries its content hash, so each edit leaves the previous one behind. */
async function removeStaleChunks(written: ReadonlySet<string>): Promise<void> {
  const dir = path.join(webOutDir, chunksDir);
  const stale = (await fs.readdir(dir)).map((name) => path.join(dir, name)).filter((file) => !written.has(file) && !file.endsWith(".tmp"));
  await Promise.all(stale.map((file) => fs.rm(file, { force: true })));
}

async function writeIfChanged(target: string, bytes: Buffer): Promise<void> {
  const current = await fs.readFile(target).catch(() => null);
  if (current?.equals(bytes)) return;
  // Write then rename, so wrangler never serves a half-written bundle.
  const temporary = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await fs.writeFile(temporary, bytes);
  await fs.rename(temporary, target);
}
