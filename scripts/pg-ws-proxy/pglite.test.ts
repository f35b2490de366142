import net from "node:net";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNodePool } from "../lib/neon-node.ts";
import { neonPoolCases } from "./neon-pool.case.ts";
import { type ProxyEvent, type PgWsProxy, startPgWsProxy } from "./proxy-server.ts";

// PGlite is the fallback engine; its socket server never closes a connection after Terminate, which is the
// case the proxy's Terminate handling exists for.
let db: PGlite;
let server: PGLiteSocketServer;
let proxy: PgWsProxy;
let port: number;
const events: ProxyEvent[] = [];

beforeAll(async () => {
  port = await freeLoopbackPort();
  db = await PGlite.create();
  server = new PGLiteSocketServer({ db, host: "127.0.0.1", port, maxConnections: 16 });
  await server.start();
  proxy = await startPgWsProxy({
    host: "127.0.0.1",
    port: 0,
    allow: [{ host: "127.0.0.1", port }],
    log: (event) => events.push(event),
  });
});

afterAll(async () => {
  await proxy?.close();
  await server?.stop();
  await db?.close();
});

const target = () => ({
  // PGlite ignores user, password and database name: it has one session of user postgres.
  databaseUrl: `postgres://postgres:unused@127.0.0.1:${port}/postgres`,
  wsProxy: `127.0.0.1:${proxy.address.port}`,
});

describe("Neon Pool through the proxy to a PGlite socket server", () => {
  neonPoolCases(target);

  it("ends each tunnel on the client's Terminate, although PGlite keeps its socket open", async () => {
    const pool = createNodePool(target().databaseUrl, target().wsProxy);
    let connections = 0;
    pool.on("connect", () => connections++);
    const first = events.length;
    await Promise.all([1, 2].map((i) => pool.query("select $1::int, pg_sleep(0.02)", [i])));
    await pool.end();
    const closedByTerminate = () => events.slice(first).filter((e) => e.event === "tunnel_closed" && e.by === "terminate").length;
    await expect.poll(closedByTerminate, { timeout: 2_000 }).toBe(connections);
    expect(connections).toBe(2);
  });
});

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
