import { z } from "zod";
import { formatHostPort, type HostPort, parseHostPort } from "./tunnel-request.ts";

/**
 * Neon's SQL-over-HTTP request, as `neon()` from @neondatabase/serverless sends it: POST /sql with
 * `{query, params}` (one statement) or `{queries: [...]}` (a transaction), the connection string in
 * `Neon-Connection-String`, and `Neon-Raw-Text-Output: true` / `Neon-Array-Mode: true` (the driver always sends
 * both and parses the text itself by dataTypeID). Pure: headers and body in, a decision out.
 */
export interface SqlStatement {
  query: string;
  /** Already text-encoded by the driver (pg's prepareValue); null stays null. */
  params: (string | null)[];
}

export type IsolationLevel = "ReadUncommitted" | "ReadCommitted" | "RepeatableRead" | "Serializable";

export interface SqlRequest {
  connectionString: string;
  target: HostPort;
  /** One statement, or a batch run in one transaction. */
  work: { kind: "single"; statement: SqlStatement } | { kind: "batch"; statements: SqlStatement[]; transaction: BatchOptions };
}

export interface BatchOptions {
  isolationLevel?: IsolationLevel;
  readOnly?: boolean;
  deferrable?: boolean;
}

export type SqlRequestDecision = { ok: true; request: SqlRequest } | { ok: false; status: 400 | 403; message: string };

const Statement = z.object({ query: z.string().min(1), params: z.array(z.string().nullable()).default([]) }).strict();
const Body = z.union([z.object({ queries: z.array(Statement).min(1).max(1000) }).strict(), Statement]);
const isolationLevels = new Set<string>(["ReadUncommitted", "ReadCommitted", "RepeatableRead", "Serializable"]);

/** `headers` with lower-cased names, as node:http gives them. */
export function decideSqlRequest(
  headers: Record<string, string | string[] | undefined>,
  bodyText: string,
  allow: readonly HostPort[],
): SqlRequestDecision {
  const header = (name: string) => {
    const value = headers[name];
    return Array.isArray(value) ? undefined : value;
  };
  // Same rule as the tunnels: a web page must not reach the dev database through the developer's browser.
  if (header("origin") !== undefined) return { ok: false, status: 403, message: "browser origins may not query the database" };
  if (header("neon-raw-text-output") !== "true" || header("neon-array-mode") !== "true") {
    return { ok: false, status: 400, message: "this stand-in answers only raw-text array-mode requests, as the driver sends" };
  }
  const connectionString = header("neon-connection-string");
  if (!connectionString) return { ok: false, status: 400, message: "missing Neon-Connection-String" };
  const target = targetOf(connectionString);
  if (!target) return { ok: false, status: 400, message: "Neon-Connection-String is not a postgres:// URL with host:port" };
  if (!allow.some((entry) => entry.host === target.host && entry.port === target.port)) {
    return { ok: false, status: 403, message: `${formatHostPort(target)} is not in the allowlist` };
  }
  let json: unknown;
  try {
    json = JSON.parse(bodyText);
  } catch {
    return { ok: false, status: 400, message: "body is not JSON" };
  }
  const body = Body.safeParse(json);
  if (!body.success) return { ok: false, status: 400, message: "body must be {query, params} or {queries: [...]}" };
  if (!("queries" in body.data)) return { ok: true, request: { connectionString, target, work: { kind: "single", statement: body.data } } };

  const isolation = header("neon-batch-isolation-level");
  if (isolation !== undefined && !isolationLevels.has(isolation))
    return { ok: false, status: 400, message: "bad Neon-Batch-Isolation-Level" };
  const flag = (name: string) => {
    const value = header(name);
    return value === undefined ? undefined : value === "true";
  };
  const transaction: BatchOptions = {
    ...(isolation ? { isolationLevel: isolation as IsolationLevel } : {}),
    ...(flag("neon-batch-read-only") !== undefined ? { readOnly: flag("neon-batch-read-only") } : {}),
    ...(flag("neon-batch-deferrable") !== undefined ? { deferrable: flag("neon-batch-deferrable") } : {}),
  };
  return { ok: true, request: { connectionString, target, work: { kind: "batch", statements: body.data.queries, transaction } } };
}

/** The BEGIN that opens a batch with the options the driver asked for. */
export function beginStatement(options: BatchOptions): string {
  const parts = ["begin"];
  if (options.isolationLevel) parts.push(`isolation level ${options.isolationLevel.replace(/(?<=[a-z])(?=[A-Z])/g, " ").toLowerCase()}`);
  if (options.readOnly !== undefined) parts.push(options.readOnly ? "read only" : "read write");
  if (options.deferrable !== undefined) parts.push(options.deferrable ? "deferrable" : "not deferrable");
  return parts.join(" ");
}

function targetOf(connectionString: string): HostPort | undefined {
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    return undefined;
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") return undefined;
  return parseHostPort(`${url.hostname}:${url.port || "5432"}`);
}
