import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { runningPid, startDaemon, stopDaemon, tcpReachable, waitUntil } from "../lib/daemon.ts";
import { host, ports, type LocalSecrets } from "../lib/local-config.ts";
import { dataDir, repoRoot } from "../lib/paths.ts";
import { bridgeEnv, defaultMaxBodyBytes } from "../upstash-bridge/bridge-env.ts";
import type { LocalService } from "./local-service.ts";

const redisDaemon = "redis";
const bridgeDaemon = "upstash-bridge";
const redisDataDir = path.join(dataDir, "redis");
const restUrl = `http://${host}:${ports.upstashBridge}`;

/**
 * Our own redis-server on a non-default port (a system instance on 6379 is never touched), and the Upstash REST
 * bridge in front of it, which is what the Worker's `@upstash/redis` client talks to.
 */
export const redisService: LocalService = {
  name: "redis",

  async up(secrets: LocalSecrets) {
    await startRedis();
    await startBridge(secrets.upstashToken);
    return `${restUrl} (Upstash REST) -> redis://${host}:${ports.redis}`;
  },

  async down() {
    // Bridge first, so nothing writes to Redis while it shuts down and rewrites its AOF.
    await stopDaemon(bridgeDaemon);
    await stopDaemon(redisDaemon);
  },
};

async function startRedis() {
  if (!runningPid(redisDaemon)) await refuseForeignListener(ports.redis, "redis");
  fs.mkdirSync(redisDataDir, { recursive: true });
  startDaemon({
    name: redisDaemon,
    command: "/usr/bin/redis-server",
    // No config file: everything is explicit here, so the Debian defaults in /etc/redis never apply.
    args: [
      "--bind",
      host,
      "--port",
      String(ports.redis),
      "--dir",
      redisDataDir,
      "--appendonly",
      "yes",
      "--daemonize",
      "no",
      "--supervised",
      "no",
      "--protected-mode",
      "yes",
    ],
  });
  await waitUntil(redisDaemon, () => redisAnswersPing(ports.redis));
}

async function startBridge(token: string) {
  if (!runningPid(bridgeDaemon)) await refuseForeignListener(ports.upstashBridge, "upstash bridge");
  startDaemon({
    name: bridgeDaemon,
    command: process.execPath,
    args: ["--import", "tsx", path.join("scripts", "upstash-bridge", "main.ts")],
    cwd: repoRoot,
    env: bridgeEnv({
      host,
      port: ports.upstashBridge,
      redisHost: host,
      redisPort: ports.redis,
      token,
      maxBodyBytes: defaultMaxBodyBytes,
    }),
  });
  await waitUntil(bridgeDaemon, () => bridgeAnswersPing(token));
}

/** Without a live pid file of ours, a listener on the port is someone else's, and a PING probe would lie. */
async function refuseForeignListener(port: number, what: string) {
  if (await tcpReachable(port, host)) {
    throw new Error(`${what}: port ${host}:${port} is taken by a process this harness did not start`);
  }
}

/** Raw RESP PING, so readiness doesn't depend on a client library's reconnect logic. */
function redisAnswersPing(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    let reply = "";
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk) => {
      reply += chunk.toString("latin1");
      if (reply.includes("\r\n")) done(reply.startsWith("+PONG"));
    });
    socket.once("error", () => done(false));
  });
}

/** A PING through the bridge proves the whole path: HTTP, the token, and the bridge's Redis connection. */
async function bridgeAnswersPing(token: string): Promise<boolean> {
  const response = await fetch(restUrl, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(["PING"]),
    signal: AbortSignal.timeout(1000),
  });
  if (!response.ok) return false;
  const body = (await response.json()) as { result?: unknown };
  return body.result === "PONG";
}
