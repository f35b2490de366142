import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const repo = join(import.meta.dirname, "../..");
const layered = ["protocol", "schema", "media-fleet", "workers", "functions", "web"];

/** Runs the project's own import rules (the config CI uses) over a copy of the layered folders. */
async function cruise(tree: string): Promise<{ ok: boolean; output: string }> {
  const depcruise = join(repo, "node_modules/.bin/depcruise");
  try {
    const { stdout } = await run(depcruise, ["--config", ".dependency-cruiser.cjs", ...layered.map((d) => (d === "web" ? "web/src" : d))], {
      cwd: tree,
    });
    return { ok: true, output: stdout };
  } catch (error) {
    return { ok: false, output: String((error as { stdout?: string }).stdout ?? error) };
  }
}

describe("the import rules the build enforces", () => {
  let tree: string;

  beforeAll(async () => {
    tree = await mkdtemp(join(tmpdir(), "layers-"));
    for (const entry of [...layered, ".dependency-cruiser.cjs", "tsconfig.json", "package.json"]) {
      await cp(join(repo, entry), join(tree, entry), { recursive: true });
    }
    await symlink(join(repo, "node_modules"), join(tree, "node_modules"));
  });
  afterAll(async () => {
    await rm(tree, { recursive: true, force: true });
  });

  it("pass on the tree as it is", async () => {
    const result = await cruise(tree);
    expect(result.output).toContain("no dependency violations");
    expect(result.ok).toBe(true);
  });

  it.each([
    [
      "the pure room core reaching into its shell",
      "workers/meeting-room/core/chat-log.ts",
      'import "../shell/meeting-room.ts";',
      "room-core-is-pure",
    ],
    [
      "the pure core importing a runtime",
      "workers/meeting-room/core/frame-log.ts",
      'import "cloudflare:workers";',
      "pure-modules-import-no-runtime",
    ],
    [
      "the analytics core reaching into its repository",
      "workers/analytics/core/call-quality-metrics.ts",
      'import "../analytics-repository.ts";',
      "analytics-core-is-pure",
    ],
    [
      "media-fleet importing workers/",
      "media-fleet/node-selection.ts",
      'import "../workers/db/database.ts";',
      "media-fleet-never-imports-workers",
    ],
    [
      "the protocol importing anything of ours",
      "protocol/ids.ts",
      'import "../media-fleet/fleet-config.ts";',
      "protocol-imports-nothing-of-ours",
    ],
    ["the page importing the Worker", "web/src/room-view.ts", 'import "../../workers/env.ts";', "web-only-protocol"],
    [
      "code functions share reaching into one function's folder",
      "functions/warmup.ts",
      'import "./analytics-ingest/dedupe.ts";',
      "functions-are-bundled-apart",
    ],
    ["a module loading a Lambda handler", "functions/warmup.ts", 'import "./analytics-ingest/handler.ts";', "handlers-are-entry-points"],
    ["a cycle", "workers/meeting-room/core/membership.ts", 'import "./room-reducer.ts";', "no-cycles"],
  ])("fail on %s", async (_what, file, line, rule) => {
    const path = join(tree, file);
    const original = await readFile(path, "utf8");
    await writeFile(path, `${original}\n${line}\n`);
    try {
      const result = await cruise(tree);
      expect(result.ok).toBe(false);
      expect(result.output).toContain(rule);
    } finally {
      await writeFile(path, original);
    }
  });
});
