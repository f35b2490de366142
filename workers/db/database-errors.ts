/**
 * Whether a database error means "Postgres can't be reached right now" (answer 503, retry later) rather
 * than a bug in a query (500). Server-side errors carry a five-character SQLSTATE; connection classes and
 * shutdown/overload states count as unavailable, and so does any failure that never reached the server.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  // Drizzle wraps the driver's error and keeps it as the cause.
  const failure = "query" in error && error.cause !== undefined ? error.cause : error;
  const sqlState = sqlStateOf(failure);
  if (sqlState === undefined) return "query" in error;
  return sqlState.startsWith("08") || unavailableStates.has(sqlState);
}

/** The SQLSTATE of a failed query (drizzle's wrapper unwrapped); undefined when it never reached the server as a statement. */
export function sqlStateOfError(error: unknown): string | undefined {
  const failure = error instanceof Error && "query" in error && error.cause !== undefined ? error.cause : error;
  return sqlStateOf(failure);
}

/** admin/crash shutdown, cannot connect now, too many connections, out of memory/disk. */
const unavailableStates = new Set(["57P01", "57P02", "57P03", "53300", "53200", "53100"]);

function sqlStateOf(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null || !("code" in error)) return undefined;
  const code = (error as { code: unknown }).code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}
