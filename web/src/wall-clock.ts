/**
 * A wall-clock date-time as `<input type="datetime-local">` gives it ("2026-03-29T09:00"), read in an IANA time
 * zone, and the instant it names. Offsets come from Intl, so daylight saving follows the browser's zone data.
 *
 * Around a DST change a wall-clock time is not exactly one instant; the choices match Temporal's "compatible"
 * disambiguation and what calendar apps do:
 *  - skipped by a spring-forward (02:30 in Paris on the last Sunday of March): moved forward by the gap, so it
 *    resolves to 03:30 summer time, the first moment that exists after the requested one;
 *  - repeated by a fall-back (02:30 in Paris on the last Sunday of October): the first occurrence (summer time).
 */
const wallClockPattern = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;
const dayMs = 86_400_000;

interface WallClockFields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** Whether Intl knows the zone (the same test the API applies to a meeting's `timeZone`). */
export function isTimeZone(zone: string): boolean {
  if (!zone) return false;
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The instant `wallClock` names in `zone`, or null when either is not valid (a 30 February, an unknown zone). */
export function wallClockToInstant(wallClock: string, zone: string): Date | null {
  const fields = parseWallClock(wallClock);
  if (!fields || !isTimeZone(zone)) return null;
  const local = utcMsOf(fields);
  // A zone's offset changes at most once within a day either side, so these two are every offset that can apply.
  const offsetBefore = zoneOffsetMs(local - dayMs, zone);
  const offsetAfter = zoneOffsetMs(local + dayMs, zone);
  const matches = [...new Set([offsetBefore, offsetAfter])]
    .map((offset) => local - offset)
    .filter((instant) => instant + zoneOffsetMs(instant, zone) === local);
  if (matches.length > 0) return new Date(Math.min(...matches));
  // In a spring-forward gap: the offset from before the change lands the gap's length later.
  return new Date(local - offsetBefore);
}

/** What a clock in `zone` shows at `instant`, to the minute, in the `datetime-local` form ("2026-03-29T09:00"). */
export function wallClockOf(instant: Date, zone: string): string {
  const { year, month, day, hour, minute } = fieldsAt(instant.getTime(), zone);
  const pad = (value: number, width = 2) => String(value).padStart(width, "0");
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}T${pad(hour)}:${pad(minute)}`;
}

/** The zone's offset from UTC at an instant, in milliseconds (Paris in summer: +2 h). */
export function zoneOffsetMs(instantMs: number, zone: string): number {
  return utcMsOf(fieldsAt(instantMs, zone)) - Math.floor(instantMs / 1000) * 1000;
}

function parseWallClock(text: string): WallClockFields | null {
  const match = wallClockPattern.exec(text.trim());
  if (!match) return null;
  const group = (index: number) => Number(match[index] ?? 0);
  const fields = { year: group(1), month: group(2), day: group(3), hour: group(4), minute: group(5), second: group(6) };
  // Date.UTC rolls 30 February over into March and reads years below 100 as 19xx: a round trip catches both.
  const check = new Date(utcMsOf(fields));
  const valid =
    check.getUTCFullYear() === fields.year &&
    check.getUTCMonth() === fields.month - 1 &&
    check.getUTCDate() === fields.day &&
    check.getUTCHours() === fields.hour &&
    check.getUTCMinutes() === fields.minute &&
    check.getUTCSeconds() === fields.second;
  return valid ? fields : null;
}

/** The wall-clock fields read as if they were UTC: the arithmetic base for offsets. */
function utcMsOf(fields: WallClockFields): number {
  return Date.UTC(fields.year, fields.month - 1, fields.day, fields.hour, fields.minute, fields.second);
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function fieldsAt(instantMs: number, zone: string): WallClockFields {
  let formatter = formatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(zone, formatter);
  }
  const parts = formatter.formatToParts(new Date(instantMs));
  const part = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((item) => item.type === type)?.value);
  return {
    year: part("year"),
    month: part("month"),
    day: part("day"),
    // Some engines write midnight as 24 even with h23.
    hour: part("hour") % 24,
    minute: part("minute"),
    second: part("second"),
  };
}
