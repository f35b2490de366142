import { getTableColumns, getTableName } from "drizzle-orm";
import type { PgTable } from "drizzle-orm/pg-core";
import type pg from "pg";
import {
  analyticsActiveParticipants,
  analyticsBatches,
  analyticsEvents,
  analyticsHourly,
  analyticsSamples,
  analyticsSessions,
} from "../../schema/analytics.ts";
import type { AnalyticsStore, BatchWrite, StoreOutcome } from "./ingest.ts";
import { objectKeysOf } from "./ingest.ts";
import { inTransaction } from "./postgres-transaction.ts";
import { dayMs, dayPartition, dayStart, daysOf } from "./partition.ts";
import { type Rollup, rollup } from "./rollup.ts";

/**
 * The analytics tables in Postgres, over TCP with node-postgres. Why not the Worker's Neon driver: a Lambda keeps
 * its container, so one TCP connection (to Neon's pooler) serves many invocations with no WebSocket hop, and a
 * batch is an interactive transaction, which Neon's HTTP mode can't do. Rows go in as one `unnest` insert per
 * table (bench/analytics-ingest.ts measures it against COPY).
 *
 * Exactly once: the batch's ledger row is inserted first in the same statement as its records; a redelivery
 * (even a concurrent one, which waits on that row) finds it and writes nothing. The rollups count only the rows
 * the inserts returned: in that same statement when it finds every record was new (the usual case: one round trip),
 * else by a second statement in the transaction with the rows actually inserted.
 */

const partitionedTables: PgTable[] = [
  analyticsSamples,
  analyticsEvents,
  analyticsSessions,
  analyticsHourly,
  analyticsActiveParticipants,
  analyticsBatches,
];

/**
 * Retried here, a few times: deadlocks (two batches sharing records), serialization failures, and a connection
 * Postgres ended (a restart, a failover) that the pool handed out before it learned so. Retrying a batch is always
 * safe: its ledger row makes a second storing write nothing.
 */
const retryableCodes = new Set(["40P01", "40001", "57P01", "57P02", "57P03", "08000", "08003", "08006"]);
const attempts = 3;

function retryable(error: unknown): boolean {
  const { code, message } = error as { code?: string; message?: string };
  // node-postgres's own errors for a connection that ended carry no SQLSTATE.
  return retryableCodes.has(code ?? "") || /^Connection terminated|not queryable/.test(message ?? "");
}

export class PostgresAnalyticsStore implements AnalyticsStore {
  /** Days whose partitions this container has made sure of (a warm container asks once a day). */
  readonly #ensuredDays = new Set<number>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly now: () => number = Date.now,
  ) {}

  async store(write: BatchWrite, meanwhile?: () => void): Promise<StoreOutcome> {
    // Once, even when a deadlock makes the transaction run again.
    let pending = meanwhile;
    const once = () => {
      const work = pending;
      pending = undefined;
      work?.();
    };
    for (let attempt = 1; ; attempt++) {
      try {
        await this.ensurePartitions(daysTouched(write, this.now()));
        return await this.#transaction(write, once);
      } catch (error) {
        if (attempt >= attempts || !retryable(error)) throw error;
      }
    }
  }

  /** Creates the day partitions of every analytics table that are missing, serialised across containers. */
  async ensurePartitions(days: readonly number[]): Promise<void> {
    const missing = days.filter((day) => !this.#ensuredDays.has(day));
    if (missing.length === 0) return;
    const statements = missing.flatMap((day) =>
      partitionedTables.map((table) => {
        const p = dayPartition(getTableName(table), day);
        // Names and bounds come from numbers, never from the event: safe to inline (DDL takes no parameters).
        return `CREATE TABLE IF NOT EXISTS "${p.name}" PARTITION OF "${p.table}" FOR VALUES FROM ('${p.from}') TO ('${p.to}')`;
      }),
    );
    // CREATE … PARTITION OF locks the parent exclusively: bounded, so a long reader fails this batch (retried)
    // rather than stalling every insert queued behind the lock. An existing partition takes no lock at all.
    await inTransaction(this.pool, async (client) => {
      await client.query(
        "SELECT set_config('lock_timeout', '5s', true), pg_advisory_xact_lock(hashtextextended('analytics_partitions', 0))",
      );
      await client.query(statements.join(";\n"));
    });
    for (const day of missing) this.#ensuredDays.add(day);
  }

  #transaction(write: BatchWrite, meanwhile: () => void): Promise<StoreOutcome> {
    const expected = expectedOf(write, write);
    return inTransaction(this.pool, async (client) => {
      const inserted = await insertBatch(client, write, expected, meanwhile);
      if (!inserted.newBatch) {
        // A fresh statement, so it sees what a concurrent first delivery committed while this one waited.
        return { newBatch: false, stored: { samples: 0, events: 0, sessions: 0 }, ownedSampleIds: await ownedSamples(client, write) };
      }
      if (inserted.rolledUp) return { newBatch: true, stored: expected.stored, ownedSampleIds: inserted.samples };
      // Some records were stored before (by another batch): the rollups and the ledger take only the new rows.
      const actual = expectedOf(write, {
        samples: write.samples.filter((s) => inserted.samples.has(s.sampleId)),
        events: write.events.filter((e) => inserted.events.has(e.eventId)),
        sessions: write.sessions.filter((s) => inserted.sessions.has(s.sessionId)),
      });
      await addRollups(client, write, actual);
      return { newBatch: true, stored: actual.stored, ownedSampleIds: inserted.samples };
    });
  }
}

/** What these rows of a batch add (the dropped samples come with the batch's first storing, whatever its rows). */
function expectedOf(write: BatchWrite, rows: Pick<BatchWrite, "samples" | "events" | "sessions">): Expected {
  const { identity } = write;
  return {
    rollup: rollup({ ...rows, dropped: { ...identity, at: write.createdAt, count: write.droppedSamples } }),
    stored: { samples: rows.samples.length, events: rows.events.length, sessions: rows.sessions.length },
    objects: objectKeysOf(identity, rows.samples),
  };
}

/** Every day a batch writes to (records, hourly rollups of a session's whole span, the ledger), plus today and tomorrow ahead. */
function daysTouched(write: BatchWrite, now: number): number[] {
  const times = [write.createdAt, now, now + dayMs];
  for (const s of write.samples) times.push(s.receivedAt);
  for (const e of write.events) times.push(e.receivedAt);
  for (const s of write.sessions) {
    for (let day = dayStart(s.joinedAt); day <= s.leftAt; day += dayMs) times.push(day);
  }
  return daysOf(times);
}

// ---- SQL -------------------------------------------------------------------------------------------------------

type Row = Record<string, unknown>;

interface ColumnInfo {
  name: string;
  sqlType: string;
  timestamp: boolean;
}

/** A drizzle table's columns by field name: one definition of the names and types, schema/analytics.ts. */
function columnsOf(table: PgTable): Map<string, ColumnInfo> {
  return new Map(
    Object.entries(getTableColumns(table)).map(([field, column]) => {
      const sqlType = column.getSQLType();
      return [field, { name: column.name, sqlType, timestamp: sqlType.startsWith("timestamp") }];
    }),
  );
}

const quoted = (name: string) => `"${name}"`;
const iso = (ms: unknown) => (typeof ms === "number" ? new Date(ms).toISOString() : ms);

/**
 * `INSERT INTO table (…) SELECT … FROM unnest($n::type[], …) WITH ORDINALITY … ORDER BY ordinality`: one statement
 * and one parameter per column, whatever the row count. `constants` are fields the same on every row (one scalar
 * parameter each). Row order is kept, so rows are locked in the order the caller sorted them.
 */
function unnestInsert(
  table: PgTable,
  fields: readonly string[],
  rows: readonly Row[],
  constants: Row,
  params: unknown[],
): { columns: string; select: string; from: string } {
  const info = columnsOf(table);
  const column = (field: string) => {
    const c = info.get(field);
    if (!c) throw new Error(`${getTableName(table)} has no field ${field}`);
    return c;
  };
  const param = (value: unknown) => `$${params.push(value)}`;
  const arrayFields = fields.filter((f) => !(f in constants));
  const from = `unnest(${arrayFields
    .map((f) => {
      const c = column(f);
      return `${param(rows.map((r) => (c.timestamp ? iso(r[f]) : r[f])))}::${c.sqlType}[]`;
    })
    .join(", ")}) WITH ORDINALITY AS r(${arrayFields.map((_, i) => `c${i}`).join(", ")}, ord)`;
  const select = fields
    .map((f) => {
      const c = column(f);
      if (f in constants) return `${param(c.timestamp ? iso(constants[f]) : constants[f])}::${c.sqlType}`;
      return `r.c${arrayFields.indexOf(f)}`;
    })
    .join(", ");
  return { columns: fields.map((f) => quoted(column(f).name)).join(", "), select, from };
}

/** Every column of a table, by field: the record rows (normalize.ts) carry exactly these. */
const fieldsOf = (table: PgTable) => Object.keys(getTableColumns(table));
const hourlyKey = ["tenantId", "hour", "meetingId", "region"];
const hourlyTotals = fieldsOf(analyticsHourly).filter((f) => !hourlyKey.includes(f));

interface Inserted {
  newBatch: boolean;
  samples: Set<string>;
  events: Set<string>;
  sessions: Set<string>;
  /** Whether the statement also added the rollups (every record was new, so the rollup of all of them applied). */
  rolledUp: boolean;
}

/** What a batch adds when every record in it is new: computed before the statement, applied by it only if so. */
interface Expected {
  rollup: Rollup;
  stored: StoreOutcome["stored"];
  objects: string[];
}

// The statements' text is the same for every batch (rows travel as arrays), so each is prepared once per connection
// by name and its plan reused: planning the batch statement costs about as much as a quarter of executing it.

/**
 * One statement: the ledger row, the records, and (when every record turned out new, the usual case) the rollups.
 * A known batch inserts nothing: its records wait on the ledger row and find it. When some records were stored
 * before, the rollups are left to a second statement with the rows actually inserted.
 */
async function insertBatch(client: pg.PoolClient, write: BatchWrite, expected: Expected, meanwhile: () => void): Promise<Inserted> {
  const params: unknown[] = [];
  const p = (value: unknown) => `$${params.push(value)}`;
  const { identity } = write;
  const records = (table: PgTable, rows: readonly Row[], time: string, id: string) => {
    const sorted = [...rows].sort((a, b) => (a[time] as number) - (b[time] as number) || compare(a[id] as string, b[id] as string));
    const q = unnestInsert(table, fieldsOf(table), sorted, { ...identity }, params);
    return `INSERT INTO ${quoted(getTableName(table))} (${q.columns}) SELECT ${q.select} FROM ${q.from}
      WHERE EXISTS (SELECT FROM ledger) ORDER BY r.ord ON CONFLICT DO NOTHING RETURNING ${quoted(columnsOf(table).get(id)!.name)}::text AS id`;
  };
  const allNew = `EXISTS (SELECT FROM ledger) AND (SELECT count(*) FROM s) = ${p(expected.stored.samples)}
    AND (SELECT count(*) FROM e) = ${p(expected.stored.events)} AND (SELECT count(*) FROM ss) = ${p(expected.stored.sessions)}`;
  const sql = `WITH ledger AS (
      INSERT INTO "analytics_batches" ("tenant_id", "created_at", "batch_id", "meeting_id", "region", "samples", "events",
        "sessions", "rejected", "dropped_samples", "objects")
      VALUES (${p(identity.tenantId)}::uuid, ${p(iso(write.createdAt))}::timestamptz, ${p(identity.batchId)}::uuid, ${p(identity.meetingId)}::uuid,
        ${p(identity.region)}, ${p(expected.stored.samples)}, ${p(expected.stored.events)}, ${p(expected.stored.sessions)}, ${p(write.rejected)},
        ${p(write.droppedSamples)}, ${p(expected.objects)}::text[])
      ON CONFLICT DO NOTHING RETURNING 1),
    s AS (${records(analyticsSamples, write.samples as unknown as Row[], "receivedAt", "sampleId")}),
    e AS (${records(analyticsEvents, write.events as unknown as Row[], "receivedAt", "eventId")}),
    ss AS (${records(analyticsSessions, write.sessions as unknown as Row[], "leftAt", "sessionId")}),
    ${rollupCtes(expected.rollup, params, allNew)}
    SELECT (SELECT count(*) FROM ledger)::int AS new_batch, ${allNew} AS rolled_up,
      ARRAY(SELECT id FROM s) AS samples, ARRAY(SELECT id FROM e) AS events, ARRAY(SELECT id FROM ss) AS sessions`;
  // node-postgres writes the statement to the socket within query() (the connection is idle inside the transaction).
  const statement = client.query<{ new_batch: number; rolled_up: boolean; samples: string[]; events: string[]; sessions: string[] }>({
    name: "analytics_ingest_batch",
    text: sql,
    values: params,
  });
  meanwhile();
  const { rows } = await statement;
  const [row] = rows;
  if (!row) throw new Error("insert returned no row");
  return {
    newBatch: row.new_batch === 1,
    rolledUp: row.rolled_up,
    samples: new Set(row.samples),
    events: new Set(row.events),
    sessions: new Set(row.sessions),
  };
}

/** The hourly upsert (adding to existing rows) and the active participants, as CTEs applied only `when`. */
function rollupCtes(rolled: Rollup, params: unknown[], when: string): string {
  const hourlyColumns = columnsOf(analyticsHourly);
  const hourly = unnestInsert(analyticsHourly, [...hourlyKey, ...hourlyTotals], rolled.hourly as unknown as Row[], {}, params);
  const active = unnestInsert(
    analyticsActiveParticipants,
    fieldsOf(analyticsActiveParticipants),
    rolled.active as unknown as Row[],
    {},
    params,
  );
  const increments = hourlyTotals.map((f) => {
    const name = quoted(hourlyColumns.get(f)!.name);
    return `${name} = h.${name} + excluded.${name}`;
  });
  return `hourly AS (
      INSERT INTO ${quoted(getTableName(analyticsHourly))} AS h (${hourly.columns}) SELECT ${hourly.select} FROM ${hourly.from} WHERE ${when} ORDER BY r.ord
      ON CONFLICT ("tenant_id", "hour", "meeting_id", "region") DO UPDATE SET ${increments.join(", ")} RETURNING 1),
    active AS (
      INSERT INTO ${quoted(getTableName(analyticsActiveParticipants))} (${active.columns}) SELECT ${active.select} FROM ${active.from} WHERE ${when} ORDER BY r.ord
      ON CONFLICT DO NOTHING RETURNING 1)`;
}

/** The rollups of the rows actually inserted, and the ledger's figures corrected to them: one statement. */
async function addRollups(client: pg.PoolClient, write: BatchWrite, added: Expected): Promise<void> {
  const params: unknown[] = [];
  const p = (value: unknown) => `$${params.push(value)}`;
  const { identity } = write;
  const sql = `WITH ${rollupCtes(added.rollup, params, "true")}
    UPDATE "analytics_batches" SET "samples" = ${p(added.stored.samples)}, "events" = ${p(added.stored.events)},
      "sessions" = ${p(added.stored.sessions)}, "objects" = ${p(added.objects)}::text[]
    WHERE "tenant_id" = ${p(identity.tenantId)} AND "created_at" = ${p(iso(write.createdAt))} AND "batch_id" = ${p(identity.batchId)}`;
  await client.query({ name: "analytics_ingest_rollups", text: sql, values: params });
}

const compare = (a: string, b: string): number => (a === b ? 0 : a < b ? -1 : 1);

/** A redelivered batch's samples whose stored row is this batch's (another batch may have stored one of them first). */
async function ownedSamples(client: pg.PoolClient, write: BatchWrite): Promise<Set<string>> {
  if (write.samples.length === 0) return new Set();
  const times = write.samples.map((s) => s.receivedAt);
  const { rows } = await client.query<{ id: string }>(
    `SELECT s."sample_id"::text AS id FROM "analytics_samples" s
     JOIN unnest($2::timestamptz[], $3::uuid[]) AS k(received_at, sample_id) ON s."received_at" = k.received_at AND s."sample_id" = k.sample_id
     WHERE s."tenant_id" = $1 AND s."batch_id" = $4 AND s."received_at" BETWEEN $5 AND $6`,
    [
      write.identity.tenantId,
      times.map(iso),
      write.samples.map((s) => s.sampleId),
      write.identity.batchId,
      iso(Math.min(...times)),
      iso(Math.max(...times)),
    ],
  );
  return new Set(rows.map((r) => r.id));
}
