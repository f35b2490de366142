/**
 * The rows of a raw `db.execute` result, whichever driver ran it: the pooled driver answers `{ rows }`, Neon's HTTP
 * path an array (or `{ rows }` too, by version).
 */
export function rowsOf(result: unknown): Record<string, unknown>[] {
  const rows = (result as { rows?: unknown }).rows ?? result;
  return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [];
}
