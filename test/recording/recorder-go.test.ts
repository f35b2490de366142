import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";
import { repoRoot } from "../../scripts/lib/paths.ts";

// The recorder's own Go unit tests (chunk cutting, pause spans, the capture clock, manifest rules, the control
// API's token and body checks) as part of `npm test`. No network: the module cache is filled by the build that
// the local stack's `up` ran, and GOPROXY=off makes a missing module an error rather than a download.
it("the track recorder's Go unit tests pass", { timeout: 300_000 }, async () => {
  // go test reports a failing test on stdout, which execFile's error leaves out of its message.
  const { stdout } = await promisify(execFile)("go", ["test", "-count=1", "./..."], {
    cwd: join(repoRoot, "media-fleet/recorder"),
    env: { ...process.env, GOPROXY: "off", GOFLAGS: "-mod=readonly", CGO_ENABLED: "0" },
    maxBuffer: 4 * 1024 * 1024,
  }).catch((error: { stdout?: string; stderr?: string }) => {
    throw new Error(`go test failed:\n${error.stdout ?? ""}${error.stderr ?? ""}`);
  });
  expect(stdout).toMatch(/^ok\s+edge-meetings\/media-fleet\/recorder\s/m);
  expect(stdout).not.toMatch(/^FAIL/m);
});
