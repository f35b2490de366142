/**
 * The time range of an analytics query: whole UTC hours, `from` rounded down and `to` rounded up, because the
 * rollup is hourly and every figure in one answer must cover the same records (a metric read from the raw events
 * over 10:20–11:00 next to one from the 10:00 rollup row would disagree). Bounded, so one request scans at most
 * 93 day partitions of each table. Pure.
 */
export interface AnalyticsRange {
  /** Inclusive, on the hour. */
  from: Date;
  /** Exclusive, on the hour. */
  to: Date;
}

export type RangeCheck = { ok: true; range: AnalyticsRange } | { ok: false; path: "from" | "to"; message: string };

export const maxRangeDays = 93;

const hourMs = 3_600_000;
const maxRangeMs = maxRangeDays * 24 * hourMs;

export function hourFloor(at: Date): Date {
  const ms = at.getTime();
  return new Date(ms - (((ms % hourMs) + hourMs) % hourMs));
}

export function hourCeil(at: Date): Date {
  const floor = hourFloor(at);
  return floor.getTime() === at.getTime() ? floor : new Date(floor.getTime() + hourMs);
}

/** `from` < `to`, and at most 93 days once widened to whole hours. */
export function checkAnalyticsRange(from: Date, to: Date): RangeCheck {
  if (to.getTime() <= from.getTime()) return { ok: false, path: "to", message: "must be after from" };
  const range = { from: hourFloor(from), to: hourCeil(to) };
  if (range.to.getTime() - range.from.getTime() > maxRangeMs) {
    return { ok: false, path: "to", message: `must be at most ${maxRangeDays} days after from (in whole hours)` };
  }
  return { ok: true, range };
}

/**
 * The range a meeting's analytics are read over: the hour it was created to at least an hour after it ended (or
 * now, while it lasts), since the room stamps records with its own clock and sends its last batch after the end.
 * A meeting that has lasted longer than 93 days is read over its last 93.
 */
export function meetingRange(meeting: { createdAt: Date; endedAt: Date | null }, now: Date): AnalyticsRange {
  const end = meeting.endedAt ?? now;
  const to = hourCeil(new Date(end.getTime() + hourMs));
  const from = new Date(Math.max(hourFloor(meeting.createdAt).getTime(), to.getTime() - maxRangeMs));
  return { from, to };
}
