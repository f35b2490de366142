/**
 * The time range of a usage query: `from` inclusive, `to` exclusive, over the records' end times, bucketed by hour
 * or day in UTC. Bounded so one request can't ask for an unbounded series. Pure.
 */
export type Granularity = "hour" | "day";

const bucketMs: Record<Granularity, number> = { hour: 3_600_000, day: 86_400_000 };
/** At most this many buckets per series: a month of hours, a year and a day of days. */
export const maxBuckets: Record<Granularity, number> = { hour: 31 * 24, day: 367 };

export type RangeCheck = { ok: true; from: Date; to: Date } | { ok: false; path: string; message: string };

export function checkRange(from: Date, to: Date, granularity: Granularity): RangeCheck {
  if (to.getTime() <= from.getTime()) return { ok: false, path: "to", message: "must be after from" };
  const span = bucketStart(new Date(to.getTime() - 1), granularity).getTime() - bucketStart(from, granularity).getTime();
  if (span / bucketMs[granularity] + 1 > maxBuckets[granularity]) {
    return { ok: false, path: "to", message: `at most ${maxBuckets[granularity]} ${granularity} buckets per request` };
  }
  return { ok: true, from, to };
}

export function bucketStart(at: Date, granularity: Granularity): Date {
  const ms = at.getTime();
  return new Date(ms - (((ms % bucketMs[granularity]) + bucketMs[granularity]) % bucketMs[granularity]));
}
