/**
 * A record sent twice within one batch (a client's resend, a room's retry) is kept once: the first one, in batch
 * order. Across batches the primary keys do the same job (ON CONFLICT DO NOTHING). Pure.
 */
export function dedupeBy<T>(records: readonly T[], idOf: (record: T) => string): { kept: T[]; duplicates: number } {
  const seen = new Set<string>();
  const kept: T[] = [];
  for (const record of records) {
    const id = idOf(record);
    if (seen.has(id)) continue;
    seen.add(id);
    kept.push(record);
  }
  return { kept, duplicates: records.length - kept.length };
}
