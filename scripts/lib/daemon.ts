import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { logDir, runDir } from "./paths.ts";

export interface DaemonSpec {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

const pidFile = (name: string) => path.join(runDir, `${name}.pid`);
export const logFile = (name: string) => path.join(logDir, `${name}.log`);

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * The kernel's start time of `pid` (clock ticks since boot, field 22 of /proc/<pid>/stat), or undefined where
 * /proc can't tell. A pid file keeps it beside the pid: a pid is reused once its process is gone (a SIGKILLed
 * daemon's pid went to a test worker once), and only the pair names the process we started.
 */
function startTimeOf(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) is in parentheses and may hold spaces; the fields after it are plain.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

export function runningPid(name: string): number | undefined {
  try {
    const [pidText, recordedStart] = fs.readFileSync(pidFile(name), "utf8").trim().split(/\s+/);
    const pid = Number(pidText);
    if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
    return recordedStart === undefined || startTimeOf(pid) === recordedStart ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Starts a long-running process detached in its own process group, logging to .data/logs/<name>.log.
 * Idempotent: a daemon whose pid file points at a live process is left alone.
 */
export function startDaemon(spec: DaemonSpec): { pid: number; started: boolean } {
  const existing = runningPid(spec.name);
  if (existing) return { pid: existing, started: false };
  fs.mkdirSync(runDir, { recursive: true });
  fs.mkdirSync(logDir, { recursive: true });
  const out = fs.openSync(logFile(spec.name), "a");
  const child = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env: { ...process.env, ...spec.env },
    detached: true,
    stdio: ["ignore", out, out],
  });
  fs.closeSync(out);
  if (!child.pid) throw new Error(`could not start ${spec.name} (${spec.command})`);
  child.unref();
  fs.writeFileSync(pidFile(spec.name), [child.pid, startTimeOf(child.pid)].filter((part) => part !== undefined).join(" "));
  return { pid: child.pid, started: true };
}

/** Stops a daemon's whole process group: SIGTERM, then SIGKILL after a grace period. */
export async function stopDaemon(name: string, graceMs = 8000): Promise<boolean> {
  const pid = runningPid(name);
  fs.rmSync(pidFile(name), { force: true });
  if (!pid) return false;
  signalGroup(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) signalGroup(pid, "SIGKILL");
  return true;
}

function signalGroup(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function tcpReachable(port: number, host = "127.0.0.1", timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** Polls until `probe` resolves true; on timeout throws with the tail of the daemon's log. */
export async function waitUntil(name: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await sleep(150);
  }
  throw new Error(`${name} did not become ready in ${timeoutMs} ms\n${tailLog(name)}`);
}

export function tailLog(name: string, lines = 30): string {
  try {
    return fs.readFileSync(logFile(name), "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/**
 * Starts a daemon that serves one loopback port, restarting it when what it was started with (its `digest`:
 * settings, keys, code) changed since, and refusing a port some other process holds. The digest is kept in
 * `digestFile`.
 */
export async function startDaemonFor(
  spec: DaemonSpec,
  started: { digest: string; digestFile: string; host: string; port: number },
): Promise<void> {
  const previous = fs.existsSync(started.digestFile) ? fs.readFileSync(started.digestFile, "utf8") : undefined;
  if (runningPid(spec.name) && previous !== started.digest) await stopDaemon(spec.name);
  if (!runningPid(spec.name) && (await tcpReachable(started.port, started.host))) {
    throw new Error(`${spec.name}: port ${started.host}:${started.port} is taken by a process this checkout did not start`);
  }
  startDaemon(spec);
  fs.writeFileSync(started.digestFile, started.digest, { mode: 0o600 });
}
