import { beforeAll, describe, expect, it } from "vitest";
import { runningPid } from "../lib/daemon.ts";
import { database, databaseUrl, host, type LocalSecrets, loadOrCreateSecrets, ports } from "../lib/local-config.ts";
import { createNodePool } from "../lib/neon-node.ts";
import { neonPoolCases } from "./neon-pool.case.ts";

// Runs against what `postgresService.up` started (the vitest global setup, TEST_SERVICES=postgres):
// the Postgres daemon behind the pg-ws-proxy daemon on 127.0.0.1:6543.
let secrets: LocalSecrets;
const wsProxy = `${host}:${ports.pgWsProxy}`;
const isRealPostgres = runningPid("postgres") !== undefined;

beforeAll(async () => {
  secrets = await loadOrCreateSecrets();
});

describe("Neon Pool through the proxy daemon to the local Postgres service", () => {
  neonPoolCases(() => ({ databaseUrl: databaseUrl(secrets), wsProxy }));

  it.skipIf(!isRealPostgres)("connects as the app role, which owns the app database", async () => {
    const pool = createNodePool(databaseUrl(secrets), wsProxy);
    try {
      const { rows } = await pool.query(
        "select current_user as me, pg_get_userbyid(datdba) as owner from pg_database where datname = current_database()",
      );
      expect(rows).toEqual([{ me: database.user, owner: database.user }]);
    } finally {
      await pool.end();
    }
  });

  // PGlite checks no passwords at all, so this holds only for the real engine.
  it.skipIf(!isRealPostgres)("refuses a wrong password (SCRAM over the tunnel)", async () => {
    const wrong = databaseUrl({ ...secrets, postgresPassword: `${secrets.postgresPassword}-wrong` });
    const pool = createNodePool(wrong, wsProxy);
    try {
      await expect(pool.query("select 1")).rejects.toThrow(/password authentication failed/);
    } finally {
      await pool.end();
    }
  });

  it("refuses to tunnel anywhere but the local database, e.g. a system Postgres on 5432", async () => {
    const elsewhere = databaseUrl(secrets).replace(`:${ports.postgres}/`, ":5432/");
    const pool = createNodePool(elsewhere, wsProxy);
    try {
      await expect(pool.query("select 1")).rejects.toThrow();
    } finally {
      await pool.end();
    }
  });
});
