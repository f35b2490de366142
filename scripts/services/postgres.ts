import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { promisify } from "node:util";
import { isAlive, runningPid, sleep, startDaemon, stopDaemon, tcpReachable, waitUntil } from "../lib/daemon.ts";
import { database, host, type LocalSecrets, ports } from "../lib/local-config.ts";
import { dataDir, repoRoot, runDir } from "../lib/paths.ts";
import type { LocalService } from "./local-service.ts";

/**
 * Postgres for local runs, reached the way a Worker reaches Neon: Neon driver → WebSocket → our proxy
 * (scripts/pg-ws-proxy) → TCP. The engine is a real Postgres from Debian's packages when installed, else PGlite.
 */
export type PostgresEngine = { kind: "debian"; version: number; binDir: string } | { kind: "pglite"; why: string };

const debianRoot = "/usr/lib/postgresql";
const pgDataDir = path.join(dataDir, "postgres");
const pgliteDataDir = path.join(dataDir, "pglite");
// Our own socket directory, so nothing touches a system Postgres (which may own 5432 and /var/run/postgresql).
const socketDir = path.join(runDir, "postgres");
const proxyName = "pg-ws-proxy";
const run = promisify(execFile);

/** Debian's highest installed major version, unless LOCAL_POSTGRES=pglite asks for PGlite. */
export function choosePostgresEngine(env: NodeJS.ProcessEnv = process.env): PostgresEngine {
  if (env.LOCAL_POSTGRES === "pglite") return { kind: "pglite", why: "LOCAL_POSTGRES=pglite" };
  const versions = installedDebianVersions();
  const version = versions.at(-1);
  if (version === undefined) return { kind: "pglite", why: `no Postgres binaries under ${debianRoot}` };
  return { kind: "debian", version, binDir: path.join(debianRoot, String(version), "bin") };
}

function installedDebianVersions(): number[] {
  let names: string[];
  try {
    names = fs.readdirSync(debianRoot);
  } catch {
    return [];
  }
  return names
    .filter((name) => /^[0-9]+$/.test(name) && fs.existsSync(path.join(debianRoot, name, "bin", "postgres")))
    .map(Number)
    .sort((a, b) => a - b);
}

export const postgresService: LocalService = {
  name: "postgres",
  async up(secrets) {
    const engine = choosePostgresEngine();
    // Both engines use the same port; switching engines means stopping the other one (its data stays).
    await (engine.kind === "debian" ? stopPglite() : stopDebian());
    const described = engine.kind === "debian" ? await upDebian(engine, secrets) : await upPglite(engine);
    await upProxy();
    return `${described}; Neon wsProxy "${host}:${ports.pgWsProxy}" (ws://${host}:${ports.pgWsProxy})`;
  },
  async down() {
    await stopDaemon(proxyName);
    await stopDebian();
    await stopPglite();
  },
};

// ---- Debian Postgres -------------------------------------------------------------------------------------

const asRoot = () => process.getuid?.() === 0;
// initdb names the bootstrap superuser after the OS user running it.
const superuser = () => (asRoot() ? "postgres" : os.userInfo().username);

/** Postgres refuses to run as root, so root runs it as the `postgres` OS user; setpriv execs (no parent
 * process left behind), so the daemon pid is the postmaster itself and signals reach it directly. */
function asPostgresUser(command: string, args: string[]): [string, string[]] {
  if (!asRoot()) return [command, args];
  return ["setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", command, ...args]];
}

async function upDebian(engine: Extract<PostgresEngine, { kind: "debian" }>, secrets: LocalSecrets) {
  const version = await ensureCluster(engine);
  const binDir = path.join(debianRoot, String(version), "bin");
  if (!runningPid("postgres")) await refuseForeignListener(ports.postgres, "Postgres");
  // Parents with default modes: a recursive mkdir would give them 0700 too, locking the postgres user out.
  fs.mkdirSync(path.dirname(socketDir), { recursive: true });
  fs.mkdirSync(socketDir, { recursive: true, mode: 0o700 });
  if (asRoot()) await run("chown", ["postgres:postgres", socketDir]);
  const [command, args] = asPostgresUser(path.join(binDir, "postgres"), [
    "-D",
    pgDataDir,
    "-p",
    String(ports.postgres),
    "-c",
    `listen_addresses=${host}`,
    "-c",
    `unix_socket_directories=${socketDir}`,
    "-c",
    "unix_socket_permissions=0700",
  ]);
  startDaemon({ name: "postgres", command, args });
  await waitUntil("postgres", () => isReady(binDir));
  await bootstrapDatabase(binDir, secrets);
  return `Postgres ${version} (Debian binaries, data ${path.relative(repoRoot, pgDataDir)}) on ${host}:${ports.postgres}`;
}

/** Creates the cluster once; returns the major version it was made with, whose binaries must run it. */
async function ensureCluster(engine: Extract<PostgresEngine, { kind: "debian" }>): Promise<number> {
  const versionFile = path.join(pgDataDir, "PG_VERSION");
  if (fs.existsSync(versionFile)) {
    const version = Number(fs.readFileSync(versionFile, "utf8").trim());
    if (!fs.existsSync(path.join(debianRoot, String(version), "bin", "postgres"))) {
      throw new Error(`${pgDataDir} was made by Postgres ${version}, whose binaries are gone; remove it to start over`);
    }
    return version;
  }
  // initdb into a scratch directory and rename it, so an interrupted initdb never leaves a half cluster.
  const scratch = `${pgDataDir}.initdb`;
  fs.rmSync(scratch, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(scratch), { recursive: true });
  fs.mkdirSync(scratch, { recursive: true, mode: 0o700 });
  if (asRoot()) await run("chown", ["postgres:postgres", scratch]);
  const [command, args] = asPostgresUser(path.join(engine.binDir, "initdb"), [
    "-D",
    scratch,
    "--encoding=UTF8",
    "--locale=C",
    // Unix socket: the OS user that owns the cluster, through a 0700 directory. TCP: passwords, hashed.
    "--auth-local=peer",
    "--auth-host=scram-sha-256",
  ]);
  try {
    await run(command, args);
  } catch (error) {
    throw new Error(`initdb failed: ${(error as { stderr?: string }).stderr ?? error}`);
  }
  fs.renameSync(scratch, pgDataDir);
  return engine.version;
}

async function isReady(binDir: string): Promise<boolean> {
  // As the cluster's owner, so the probe's own login succeeds and leaves no "authentication failed" in the log.
  const [command, args] = asPostgresUser(path.join(binDir, "pg_isready"), [
    "-q",
    "-h",
    socketDir,
    "-p",
    String(ports.postgres),
    "-U",
    superuser(),
    "-d",
    "postgres",
  ]);
  try {
    await run(command, args);
    return true;
  } catch {
    return false;
  }
}

/** Role and database for the app; re-running it only re-sets the password (secrets.json may have changed). */
async function bootstrapDatabase(binDir: string, secrets: LocalSecrets) {
  // The password comes in through the environment (\getenv), so it is in neither argv nor the SQL text.
  const sql = `
\\getenv app_password LOCAL_PG_APP_PASSWORD
SELECT format('CREATE ROLE %I LOGIN', :'app_user')
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'app_user') \\gexec
ALTER ROLE :"app_user" WITH LOGIN PASSWORD :'app_password';
SELECT format('CREATE DATABASE %I OWNER %I', :'app_db', :'app_user')
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'app_db') \\gexec
`;
  const [command, args] = asPostgresUser(path.join(binDir, "psql"), [
    "-X",
    "-q",
    "-v",
    "ON_ERROR_STOP=1",
    "-v",
    `app_user=${database.user}`,
    "-v",
    `app_db=${database.name}`,
    "-h",
    socketDir,
    "-p",
    String(ports.postgres),
    "-d",
    "postgres",
    "-f",
    "-",
  ]);
  await new Promise<void>((resolve, reject) => {
    const child = execFile(
      command,
      args,
      { env: { ...process.env, LOCAL_PG_APP_PASSWORD: secrets.postgresPassword } },
      (error, _stdout, stderr) => (error ? reject(new Error(`creating role/database failed: ${stderr}`)) : resolve()),
    );
    child.stdin?.end(sql);
  });
}

/** Fast shutdown (SIGINT): rolls back open transactions instead of waiting for clients to leave. */
async function stopDebian() {
  const pid = runningPid("postgres");
  if (pid) {
    try {
      process.kill(pid, "SIGINT");
    } catch {
      /* exited meanwhile */
    }
    const deadline = Date.now() + 30_000;
    while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  }
  await stopDaemon("postgres");
}

// ---- PGlite ----------------------------------------------------------------------------------------------

async function upPglite(engine: Extract<PostgresEngine, { kind: "pglite" }>) {
  if (!runningPid("pglite")) await refuseForeignListener(ports.postgres, "PGlite");
  console.warn(`[postgres] using PGlite (${engine.why}): one Postgres session shared by all connections, no auth`);
  fs.mkdirSync(pgliteDataDir, { recursive: true });
  // The package exports only its library entry; its CLI sits beside it in dist/.
  const entry = createRequire(import.meta.url).resolve("@electric-sql/pglite-socket");
  const server = path.join(path.dirname(entry), "scripts", "server.js");
  startDaemon({
    name: "pglite",
    command: process.execPath,
    args: [
      server,
      `--db=${pgliteDataDir}`,
      `--host=${host}`,
      `--port=${ports.postgres}`,
      // The default of 1 makes a Pool's second connection wait forever.
      "--max-connections=32",
    ],
    cwd: repoRoot,
  });
  await waitUntil("pglite", () => tcpReachable(ports.postgres), 60_000);
  return `PGlite (${engine.why}; data ${path.relative(repoRoot, pgliteDataDir)}, no password check) on ${host}:${ports.postgres}`;
}

async function stopPglite() {
  // SIGTERM lets it close the database cleanly; it needs a moment to flush.
  await stopDaemon("pglite", 20_000);
}

// ---- WebSocket proxy -------------------------------------------------------------------------------------

async function upProxy() {
  if (!runningPid(proxyName)) await refuseForeignListener(ports.pgWsProxy, "the WebSocket proxy");
  startDaemon({
    name: proxyName,
    command: process.execPath,
    args: ["--import", "tsx", path.join(repoRoot, "scripts/pg-ws-proxy/main.ts")],
    cwd: repoRoot,
    env: {
      PG_WS_PROXY_LISTEN: `${host}:${ports.pgWsProxy}`,
      PG_WS_PROXY_ALLOW: `${host}:${ports.postgres}`,
    },
  });
  await waitUntil(proxyName, () => tcpReachable(ports.pgWsProxy));
}

/** A port held by something we did not start would make our daemon die, or worse, be silently used. */
async function refuseForeignListener(port: number, what: string) {
  if (await tcpReachable(port)) {
    throw new Error(`${host}:${port} is taken by a process these scripts did not start; cannot start ${what}`);
  }
}
