import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { repoRoot } from "../scripts/lib/paths.ts";
import { bundleWorker } from "../scripts/lib/worker-bundle.ts";
import { serveArgs } from "../scripts/worker-runtime/serve-args.ts";

/**
 * Starts the bench-only minimal broadcasting Durable Object (bench/fanout-ceiling/) the way the meeting room runs
 * (scripts/worker-runtime/serve.ts): the same workerd build and compatibility date, on a free port, with throwaway storage.
 * Its own config rather than a binding in wrangler.toml, so the production Worker never exports the class.
 */
export interface FanoutCeiling {
  /** WebSocket URL of one broadcast room; `room` picks a fresh object per run. */
  url(room: string): string;
  stop(): Promise<void>;
}

export async function startFanoutCeiling(timeoutMs = 90_000): Promise<FanoutCeiling> {
  const port = await freePort();
  const persistTo = fs.mkdtempSync(path.join(os.tmpdir(), "fanout-ceiling-"));
  const config = path.join(repoRoot, "bench/fanout-ceiling/wrangler.toml");
  const script = await bundleWorker(config, path.join(persistTo, "bundle"));
  const args = serveArgs({ workers: [{ config, script, port }], host: "127.0.0.1", triggerPort: await freePort(), persistTo, quiet: true });
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    detached: true,
    stdio: "ignore",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" },
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      process.kill(-child.pid, "SIGTERM");
      const timer = setTimeout(() => child.pid && process.kill(-child.pid, "SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(persistTo, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`fan-out ceiling worker exited with ${child.exitCode}`);
    const answered = await fetch(`http://127.0.0.1:${port}/`).then(
      () => true,
      () => false,
    );
    if (answered) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error("fan-out ceiling worker not ready in time");
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { url: (room) => `ws://127.0.0.1:${port}/?room=${encodeURIComponent(room)}`, stop };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
