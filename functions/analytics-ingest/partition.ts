/**
 * Where a batch's data goes: the Hive-style object key of each sample's Parquet file, and the day partitions of
 * the Postgres tables. All in UTC. Pure.
 */

export const hourMs = 3_600_000;
export const dayMs = 24 * hourMs;

export const hourStart = (ms: number): number => Math.floor(ms / hourMs) * hourMs;
export const dayStart = (ms: number): number => Math.floor(ms / dayMs) * dayMs;

/** `YYYY-MM-DD` of a time (the contract keeps times within four-digit years). */
export const utcDate = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/**
 * The object holding a batch's samples received in one hour: `samples/tenant=<id>/date=YYYY-MM-DD/hour=HH/<batch>.parquet`.
 * The tenant leads, so a tenant's data is one prefix (a listing or a policy never crosses tenants), and the batch
 * names the file, so a retried batch writes the same object again.
 */
export function sampleObjectKey(tenantId: string, receivedAt: number, batchId: string): string {
  const iso = new Date(receivedAt).toISOString();
  return `samples/tenant=${tenantId}/date=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}/${batchId}.parquet`;
}

/** `sampleObjectKey` for one batch's samples, each hour's key formatted once (a batch's samples span an hour or two). */
export function batchObjectKeys(tenantId: string, batchId: string): (receivedAt: number) => string {
  const byHour = new Map<number, string>();
  return (receivedAt) => {
    const hour = hourStart(receivedAt);
    const known = byHour.get(hour);
    if (known !== undefined) return known;
    const key = sampleObjectKey(tenantId, hour, batchId);
    byHour.set(hour, key);
    return key;
  };
}

/** Groups items by the object key of their time, keys sorted, items in their given order. */
export function groupByObjectKey<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return new Map([...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** One day's partition of a table: `<table>_pYYYYMMDD`, holding [from, to). */
export interface DayPartition {
  table: string;
  name: string;
  from: string;
  to: string;
}

export function dayPartition(table: string, anyTimeInDay: number): DayPartition {
  const from = dayStart(anyTimeInDay);
  return {
    table,
    name: `${table}_p${utcDate(from).replaceAll("-", "")}`,
    from: new Date(from).toISOString(),
    to: new Date(from + dayMs).toISOString(),
  };
}

/** The distinct days (their starts, ascending) of some times. */
export function daysOf(times: Iterable<number>): number[] {
  return [...new Set([...times].map(dayStart))].sort((a, b) => a - b);
}
