import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inTransaction } from "../../functions/analytics-ingest/postgres-transaction.ts";
import { databaseUrl, loadOrCreateSecrets } from "../../scripts/lib/local-config.ts";
import { poll } from "../support/poll.ts";

/**
 * The ingestion function's transactions against the real Postgres: a connection ended while a transaction holds it
 * between statements (what a Postgres restart does to an invocation writing its objects) fails that transaction
 * and nothing else; before, node-postgres raised it as an unhandled 'error' and the container died.
 */
describe("an ingestion transaction whose connection Postgres ends", () => {
  const applicationName = `ingest-transaction-${crypto.randomUUID().slice(0, 8)}`;
  let pool: pg.Pool;
  let admin: pg.Pool;

  beforeAll(async () => {
    const url = databaseUrl(await loadOrCreateSecrets());
    pool = new pg.Pool({ connectionString: url, max: 1, application_name: applicationName });
    admin = new pg.Pool({ connectionString: url, max: 1 });
  });
  afterAll(async () => {
    await Promise.all([pool.end(), admin.end()]);
  });

  it("fails that transaction with the connection's error, and the next one gets a new connection", async () => {
    let endedPid = 0;
    const failed = inTransaction(pool, async (client) => {
      endedPid = (await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!.pid;
      await admin.query("SELECT pg_terminate_backend($1)", [endedPid]);
      // Idle in the transaction until Postgres has ended the backend: its error reaches the client with no
      // statement running, the moment node-postgres has no listener of its own.
      const gone = await poll(
        async () => (await admin.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1", [endedPid])).rows.length === 0,
        (ended) => ended,
      );
      expect(gone).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 200));
      return client.query("SELECT 1");
    });
    await expect(failed).rejects.toThrow(/terminat|not queryable|Connection/i);

    const next = await inTransaction(
      pool,
      async (client) => (await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!.pid,
    );
    expect(next).not.toBe(endedPid);
  });

  it("commits what the work wrote, reuses a connection after a commit and drops it after a failure", async () => {
    const table = `ingest_tx_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
    const pid = async (client: pg.PoolClient) => (await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!.pid;
    await admin.query(`CREATE TABLE ${table} (n int)`);
    try {
      const committed = await inTransaction(pool, async (client) => {
        await client.query(`INSERT INTO ${table} VALUES (1)`);
        return pid(client);
      });
      let failedOn = 0;
      await expect(
        inTransaction(pool, async (client) => {
          failedOn = await pid(client);
          await client.query(`INSERT INTO ${table} VALUES (2)`);
          throw new Error("the work failed");
        }),
      ).rejects.toThrow("the work failed");
      expect((await admin.query(`SELECT n FROM ${table}`)).rows).toEqual([{ n: 1 }]);
      expect(failedOn).toBe(committed);
      expect(await inTransaction(pool, pid)).not.toBe(failedOn);
    } finally {
      await admin.query(`DROP TABLE ${table}`);
    }
  });
});
