import crypto from "node:crypto";
import dgram from "node:dgram";
import fs from "node:fs";
import path from "node:path";
import { runningPid, startDaemon, stopDaemon, tcpReachable, waitUntil } from "../lib/daemon.ts";
import { host, ports, type LocalSecrets } from "../lib/local-config.ts";
import { dataDir } from "../lib/paths.ts";
import type { LocalService } from "./local-service.ts";

const name = "turn";
/** Debian's coturn package; the local stack uses the system build rather than compiling one. */
const binary = "/usr/bin/turnserver";
const turnDir = path.join(dataDir, "turn");
const configFile = path.join(turnDir, "turnserver.conf");
export const turnRealm = "edge-meetings.local";

// The secret is written into coturn's config file (mode 0600), not passed on argv, so it never shows in `ps`.
// A newline or '#' in it would inject or truncate config lines, hence the conservative alphabet.
const secretAlphabet = /^[A-Za-z0-9_\-+/=.]+$/;

function coturnConfig(secrets: LocalSecrets): string {
  if (!secretAlphabet.test(secrets.turnSecret)) {
    throw new Error("turnSecret in .data/secrets.json must be base64/base64url text (it goes into coturn's config file)");
  }
  return [
    "# Written by scripts/services/turn.ts on every `up`; local edits are overwritten.",
    `listening-ip=${host}`,
    `relay-ip=${host}`,
    `listening-port=${ports.turn}`,
    `min-port=${ports.turnRelayMin}`,
    `max-port=${ports.turnRelayMax}`,
    // TURN REST API: coturn checks HMAC(secret, "<expiry>:<user>") itself, so the Worker mints credentials alone.
    "use-auth-secret",
    `static-auth-secret=${secrets.turnSecret}`,
    `realm=${turnRealm}`,
    "no-tls",
    "no-dtls",
    "no-cli",
    // Local clients and test peers all live on 127.0.0.1, which coturn refuses as a peer by default.
    "allow-loopback-peers",
    "no-multicast-peers",
    // One listening address: NAT behaviour discovery (RFC 5780) would need a second one.
    "no-rfc5780",
    // Without these coturn falls back to /var/lib/turn, /var/run and /var/log, outside the checkout.
    `userdb=${path.join(turnDir, "turndb")}`,
    `pidfile=${path.join(turnDir, "turnserver.pid")}`,
    // stdout goes to .data/logs/turn.log via startDaemon, where waitUntil's failure message looks.
    "log-file=stdout",
    "new-log-timestamp",
    "",
  ].join("\n");
}

/** Replaces the config atomically with mode 0600; returns whether its content changed. */
function writeConfig(content: string): boolean {
  fs.mkdirSync(turnDir, { recursive: true, mode: 0o700 });
  let previous: string | undefined;
  try {
    previous = fs.readFileSync(configFile, "utf8");
  } catch {
    previous = undefined;
  }
  const staging = `${configFile}.${process.pid}.tmp`;
  fs.writeFileSync(staging, content, { mode: 0o600 });
  fs.renameSync(staging, configFile);
  return previous !== content;
}

/** Sends a STUN Binding request (RFC 8489 §6) and resolves true on a success response with our transaction id. */
function stunBindingAnswered(port = ports.turn, timeoutMs = 500): Promise<boolean> {
  const transactionId = crypto.randomBytes(12);
  const request = Buffer.alloc(20);
  request.writeUInt16BE(0x0001, 0); // Binding request, no attributes
  request.writeUInt32BE(0x2112a442, 4); // magic cookie
  transactionId.copy(request, 8);
  const socket = dgram.createSocket("udp4");
  return new Promise((resolve) => {
    let settled = false;
    const done = (answered: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.close();
      resolve(answered);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on("message", (message) => {
      if (message.length >= 20 && message.readUInt16BE(0) === 0x0101 && message.subarray(8, 20).equals(transactionId)) {
        done(true);
      }
    });
    socket.on("error", () => done(false));
    socket.send(request, port, host);
  });
}

const answers = async () => (await stunBindingAnswered()) && (await tcpReachable(ports.turn));

export const turnService: LocalService = {
  name,
  async up(secrets) {
    if (!fs.existsSync(binary)) throw new Error(`${binary} not found: install coturn (apt-get install coturn)`);
    const changed = writeConfig(coturnConfig(secrets));
    // A rotated secret only takes effect on restart; coturn reads its config once.
    if (changed && runningPid(name)) await stopDaemon(name);
    if (!runningPid(name) && (await stunBindingAnswered())) {
      // Otherwise our coturn would retry binding forever while the probe below talks to the stranger.
      throw new Error(`${host}:${ports.turn} already answers STUN but is not our turn daemon; stop the other server`);
    }
    startDaemon({ name, command: binary, args: ["-c", configFile] });
    await waitUntil(name, answers, 15_000);
    const relayPorts = `${ports.turnRelayMin}-${ports.turnRelayMax}`;
    return `turn:${host}:${ports.turn} (udp+tcp), realm ${turnRealm}, relay ports ${relayPorts}`;
  },
  async down() {
    await stopDaemon(name);
  },
};
