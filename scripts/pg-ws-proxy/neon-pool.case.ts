import type { Pool } from "@neondatabase/serverless";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/neon-serverless";
import { afterEach, expect, it } from "vitest";
import { createNodePool } from "../lib/neon-node.ts";

export interface NeonPoolTarget {
  databaseUrl: string;
  /** `host:port` of the WebSocket proxy, as the driver's `wsProxy` wants it. */
  wsProxy: string;
}

// "Promptly": a hang (the bug this proxy fixes) shows up as a multi-second stall.
const promptMs = 2_000;

/**
 * One suite, run against every engine behind the proxy (real Postgres, PGlite): what the app needs from the
 * Neon driver over WebSockets. Call inside a `describe`; `target` is read once the suite's hooks have run.
 */
export function neonPoolCases(target: () => NeonPoolTarget) {
  const pools: Pool[] = [];
  const pool = () => {
    const created = createNodePool(target().databaseUrl, target().wsProxy);
    pools.push(created);
    return created;
  };
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((p) => (p.ended || p.ending ? undefined : p.end())));
  });

  it("answers a parameterised query", async () => {
    const { rows } = await pool().query("select $1::int + 1 as answer, $2::text as echo", [41, "héllo 'X'"]);
    expect(rows).toEqual([{ answer: 42, echo: "héllo 'X'" }]);
  });

  it("rolls back a transaction: nothing it wrote remains", async () => {
    const client = await pool().connect();
    try {
      await client.query("create temp table probe (id int primary key)");
      await client.query("begin");
      await client.query("insert into probe values (1), (2)");
      expect((await client.query("select count(*)::int as n from probe")).rows[0]).toEqual({ n: 2 });
      await client.query("rollback");
      expect((await client.query("select count(*)::int as n from probe")).rows[0]).toEqual({ n: 0 });
    } finally {
      client.release();
    }
  });

  it("runs concurrent queries on separate connections", async () => {
    const p = pool();
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => p.query("select $1::int as i, pg_sleep(0.05)::text as slept", [i])),
    );
    expect(results.map((r) => r.rows[0].i)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(p.totalCount).toBeGreaterThan(1);
  });

  it("works under drizzle's neon-serverless adapter", async () => {
    const db = drizzle({ client: pool() });
    const { rows } = await db.execute<{ one: number }>(sql`select ${1}::int as one`);
    expect(rows).toEqual([{ one: 1 }]);
  });

  it("pool.end() closes every connection promptly", async () => {
    const p = pool();
    let connected = 0;
    let removed = 0;
    p.on("connect", () => connected++);
    p.on("remove", () => removed++);
    await Promise.all([1, 2, 3].map((i) => p.query("select pg_sleep(0.02), $1::int", [i])));
    expect(connected).toBeGreaterThan(1);
    const started = Date.now();
    await p.end();
    // pool.end() itself resolves at once; "remove" fires when a client's end() completes, which is what hangs
    // when a socket never closes.
    await expect.poll(() => removed, { timeout: promptMs, interval: 20 }).toBe(connected);
    expect(Date.now() - started).toBeLessThan(promptMs);
  });
}
