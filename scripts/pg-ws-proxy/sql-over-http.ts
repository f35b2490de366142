import type { IncomingMessage, ServerResponse } from "node:http";
import type { Pool, PoolClient } from "@neondatabase/serverless";
import { createNodePool } from "../lib/neon-node.ts";
import { beginStatement, decideSqlRequest, type SqlStatement } from "./sql-request.ts";
import type { HostPort } from "./tunnel-request.ts";

/**
 * The local stand-in for Neon's SQL-over-HTTP endpoint (POST /sql): each request runs on a warm pool, so a
 * Worker pays one HTTP round trip per query instead of a WebSocket, a startup and a SCRAM exchange. The pools
 * reach Postgres through this proxy's own tunnels (the allowlist applies twice), with the Neon driver's Client.
 */
export interface SqlOverHttp {
  handle(request: IncomingMessage, response: ServerResponse): void;
  close(): Promise<void>;
}

// Neon refuses request bodies over 10 MB as well.
const maxBodyBytes = 10 * 1024 * 1024;
// One pool per connection string (user, password, database); a handful at most locally.
const maxPools = 8;
const poolSize = 8;
// The fields Neon copies from a Postgres error into its 400 answer; the driver copies them onto NeonDbError.
const errorFields = [
  "severity",
  "code",
  "detail",
  "hint",
  "position",
  "internalPosition",
  "internalQuery",
  "where",
  "schema",
  "table",
  "column",
  "dataType",
  "constraint",
  "file",
  "line",
  "routine",
] as const;
// sqlclient_unable_to_establish_sqlconnection: what a query gets while Postgres itself is unreachable.
const cannotConnect = "08001";
// Every value as the text Postgres sent: the driver parses it by dataTypeID, exactly as with Neon.
const rawText = { getTypeParser: () => (value: string) => value };

export function createSqlOverHttp(options: { allow: readonly HostPort[]; wsProxy: () => string }): SqlOverHttp {
  const pools = new Map<string, Pool>();

  const poolFor = (connectionString: string) => {
    let pool = pools.get(connectionString);
    if (!pool) {
      if (pools.size >= maxPools) {
        const [oldest, stale] = pools.entries().next().value as [string, Pool];
        pools.delete(oldest);
        void stale.end().catch(() => {});
      }
      pool = createNodePool(connectionString, options.wsProxy());
      pool.options.max = poolSize;
      pool.options.connectionTimeoutMillis = 5_000;
      pool.on("error", () => {}); // an idle client's dropped socket; the next checkout connects anew
      pools.set(connectionString, pool);
    }
    return pool;
  };

  const run = async (request: IncomingMessage, response: ServerResponse) => {
    const body = await readBody(request);
    if (body === undefined) return answer(response, 413, { message: "request body too large" });
    const decision = decideSqlRequest(request.headers, body, options.allow);
    if (!decision.ok) return answer(response, decision.status, { message: decision.message });
    const { work, connectionString } = decision.request;
    let client: PoolClient;
    try {
      client = await poolFor(connectionString).connect();
    } catch (error) {
      const code = sqlState(error);
      // A refusal by the server itself (bad password, no such database) keeps its own code.
      return answer(response, 400, { message: messageOf(error), code: code ?? cannotConnect });
    }
    let broken = false;
    // A checked-out client has no listener of the pool's: a connection Postgres ends mid-request would otherwise
    // raise an unhandled 'error' and end the proxy. The statement running fails with it; the client is dropped.
    const onLost = () => {
      broken = true;
    };
    client.on("error", onLost);
    try {
      if (work.kind === "single") return answer(response, 200, await execute(client, work.statement));
      await client.query(beginStatement(work.transaction));
      try {
        const results = [];
        for (const statement of work.statements) results.push(await execute(client, statement));
        await client.query("commit");
        return answer(response, 200, { results });
      } catch (error) {
        await client.query("rollback").catch(() => {
          broken = true;
        });
        throw error;
      }
    } catch (error) {
      const code = sqlState(error);
      // No SQLSTATE: the connection itself failed mid-query; it must not go back to the pool.
      if (code === undefined) broken = true;
      return answer(response, 400, { message: messageOf(error), ...errorDetails(error), code: code ?? cannotConnect });
    } finally {
      client.removeListener("error", onLost);
      client.release(broken);
    }
  };

  return {
    handle(request, response) {
      if (request.method !== "POST") return answer(response, 405, { message: "POST only" });
      run(request, response).catch((error: unknown) => {
        if (!response.headersSent) answer(response, 500, { message: messageOf(error) });
      });
    },
    async close() {
      const all = [...pools.values()];
      pools.clear();
      await Promise.all(all.map((pool) => pool.end().catch(() => {})));
    },
  };
}

async function execute(client: PoolClient, statement: SqlStatement) {
  const result = await client.query({ text: statement.query, values: statement.params, rowMode: "array", types: rawText });
  return {
    command: result.command,
    rowCount: result.rowCount,
    rows: result.rows,
    fields: result.fields.map((field) => ({
      name: field.name,
      dataTypeID: field.dataTypeID,
      tableID: field.tableID,
      columnID: field.columnID,
      dataTypeSize: field.dataTypeSize,
      dataTypeModifier: field.dataTypeModifier,
      format: field.format,
    })),
    rowAsArray: true,
  };
}

function readBody(request: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) {
        resolve(undefined);
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.once("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.once("error", reject);
  });
}

function answer(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  response.end(text);
}

function sqlState(error: unknown): string | undefined {
  const code = typeof error === "object" && error !== null && "code" in error ? error.code : undefined;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

function errorDetails(error: unknown): Record<string, unknown> {
  if (typeof error !== "object" || error === null) return {};
  const details: Record<string, unknown> = {};
  for (const field of errorFields) {
    const value = (error as Record<string, unknown>)[field];
    if (value !== undefined) details[field] = value;
  }
  return details;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
