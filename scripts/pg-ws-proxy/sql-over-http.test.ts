import { neon, neonConfig, NeonDbError } from "@neondatabase/serverless";
import { sql as drizzleSql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/neon-http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isDatabaseUnavailable } from "../../workers/db/database-errors.ts";
import { databaseUrl, host, type LocalSecrets, loadOrCreateSecrets, ports } from "../lib/local-config.ts";
import { type PgWsProxy, startPgWsProxy } from "./proxy-server.ts";
import { decideSqlRequest } from "./sql-request.ts";

// The SQL-over-HTTP stand-in driven by the Neon driver's own neon() (the path Workers take for one-shot
// queries), against the local Postgres service; its own proxy instance, so the daemon's version doesn't matter.
let proxy: PgWsProxy;
let secrets: LocalSecrets;
const previousEndpoint = neonConfig.fetchEndpoint;
const postgres = { host, port: ports.postgres };

beforeAll(async () => {
  secrets = await loadOrCreateSecrets();
  // 54329 is the database; 54328 is allowlisted but nothing listens there (Postgres down).
  proxy = await startPgWsProxy({ host, port: 0, allow: [postgres, { host, port: 54328 }] });
  neonConfig.fetchEndpoint = `http://${host}:${proxy.address.port}/sql`;
});

afterAll(async () => {
  neonConfig.fetchEndpoint = previousEndpoint;
  await proxy?.close();
});

const sql = () => neon(databaseUrl(secrets));

describe("Neon SQL-over-HTTP stand-in, through neon()", () => {
  it("round-trips timestamptz, jsonb, uuid, int8, bool, null and arrays with their types", async () => {
    const at = new Date("2024-02-29T12:34:56.789Z");
    const [row] = await sql().query(
      `select $1::timestamptz as at, $2::jsonb as doc, $3::uuid as id, $4::int8 as big, $5::bool as yes,
              $6::text as nothing, $7::int4[] as ints, $8::text[] as words, 'é''"\\'::text as odd`,
      [
        at,
        { a: [1, "two", null], b: { c: true } },
        "2f1b7c1e-8a4e-4c0a-9b57-3a0f4a3f6d11",
        "9007199254740993",
        true,
        null,
        [1, 2, 3],
        ["a", "b,c", null],
      ],
    );
    expect(row).toEqual({
      at,
      doc: { a: [1, "two", null], b: { c: true } },
      id: "2f1b7c1e-8a4e-4c0a-9b57-3a0f4a3f6d11",
      big: "9007199254740993", // int8 stays text, as pg and Neon give it
      yes: true,
      nothing: null,
      ints: [1, 2, 3],
      words: ["a", "b,c", null],
      odd: `é'"\\`,
    });
  });

  it("answers fullResults with fields (dataTypeID), rowCount and command", async () => {
    const result = await sql().query("select 1::int4 as one, 'x'::text as t union all select 2, 'y'", [], { fullResults: true });
    expect(result.command).toBe("SELECT");
    expect(result.rowCount).toBe(2);
    expect(result.fields.map((f) => [f.name, f.dataTypeID])).toEqual([
      ["one", 23],
      ["t", 25],
    ]);
    expect(result.rows).toEqual([
      { one: 1, t: "x" },
      { one: 2, t: "y" },
    ]);
  });

  it("runs a transaction batch atomically: a failing statement rolls back the ones before it", async () => {
    const db = sql();
    const table = `http_probe_${Date.now()}`;
    await db.query(`create table ${table} (id int primary key)`);
    try {
      await expect(
        db.transaction((tx) => [tx.query(`insert into ${table} values (1)`), tx.query(`insert into ${table} values (1)`)]),
      ).rejects.toMatchObject({ code: "23505" });
      expect(await db.query(`select count(*)::int as n from ${table}`)).toEqual([{ n: 0 }]);
      const [inserted, counted] = await db.transaction((tx) => [
        tx.query(`insert into ${table} values (2) returning id`),
        tx.query(`select count(*)::int as n from ${table}`),
      ]);
      expect(inserted).toEqual([{ id: 2 }]);
      expect(counted).toEqual([{ n: 1 }]);
      // Isolation and read-only travel as headers and are honoured.
      await expect(
        db.transaction((tx) => [tx.query(`insert into ${table} values (3)`)], { readOnly: true, isolationLevel: "Serializable" }),
      ).rejects.toMatchObject({ code: "25006" });
    } finally {
      await db.query(`drop table ${table}`);
    }
  });

  it("carries SQLSTATE and the error fields, so the app's classifier still tells bugs from outages", async () => {
    const failure = await sql()
      .query("select * from no_such_table")
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(NeonDbError);
    expect(failure).toMatchObject({ code: "42P01", severity: "ERROR", message: 'relation "no_such_table" does not exist' });
    // Through drizzle, as the API sees it: a query bug is not "unavailable".
    const db = drizzle({ client: sql() });
    const bug = await db.execute(drizzleSql`select * from no_such_table`).catch((error: unknown) => error);
    expect(isDatabaseUnavailable(bug)).toBe(false);
  });

  it("answers 08001 while Postgres is unreachable, which the app classifies as unavailable (503)", async () => {
    const down = databaseUrl(secrets).replace(`:${ports.postgres}/`, ":54328/");
    const failure = await neon(down)
      .query("select 1")
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: "08001" });
    const db = drizzle({ client: neon(down) });
    expect(isDatabaseUnavailable(await db.execute(drizzleSql`select 1`).catch((error: unknown) => error))).toBe(true);
  });

  it("refuses a target outside the allowlist and a wrong password, and never a browser origin", async () => {
    const elsewhere = databaseUrl(secrets).replace(`:${ports.postgres}/`, ":5432/");
    await expect(neon(elsewhere).query("select 1")).rejects.toThrow(/HTTP status 403.*not in the allowlist/);
    const wrong = databaseUrl({ ...secrets, postgresPassword: `${secrets.postgresPassword}-wrong` });
    await expect(neon(wrong).query("select 1")).rejects.toMatchObject({ code: "28P01" });
    const fromPage = await fetch(`http://${host}:${proxy.address.port}/sql`, {
      method: "POST",
      headers: {
        origin: "https://evil.example",
        "neon-connection-string": databaseUrl(secrets),
        "neon-raw-text-output": "true",
        "neon-array-mode": "true",
      },
      body: JSON.stringify({ query: "select 1", params: [] }),
    });
    expect(fromPage.status).toBe(403);
  });
});

describe("decideSqlRequest", () => {
  const headers = {
    "neon-connection-string": "postgresql://u:p@127.0.0.1:54329/db",
    "neon-raw-text-output": "true",
    "neon-array-mode": "true",
  };
  const allow = [postgres];

  it("reads a batch's transaction options from the headers", () => {
    const decision = decideSqlRequest(
      { ...headers, "neon-batch-isolation-level": "RepeatableRead", "neon-batch-read-only": "true" },
      JSON.stringify({ queries: [{ query: "select 1", params: [] }] }),
      allow,
    );
    expect(decision).toMatchObject({
      ok: true,
      request: { work: { kind: "batch", transaction: { isolationLevel: "RepeatableRead", readOnly: true } } },
    });
  });

  it("refuses malformed bodies and non-text parameters", () => {
    for (const body of ["not json", "{}", JSON.stringify({ query: "select $1", params: [{ a: 1 }] }), JSON.stringify({ queries: [] })]) {
      expect(decideSqlRequest(headers, body, allow)).toMatchObject({ ok: false, status: 400 });
    }
  });
});
