import type { Meeting } from "./api-client.ts";
import { repeatLabelOf } from "./schedule-request.ts";

/**
 * A scheduled meeting in words, on the clock of the zone it was scheduled in (which may not be the browser's):
 * "Tuesday 20 October 2026 at 09:00 (Europe/Paris) · 30 minutes · Weekly". Null when it has no start.
 */
export type Schedule = Pick<Meeting, "scheduledStartAt" | "scheduledEndAt" | "timeZone" | "recurrenceRule">;

export function scheduleSummary(schedule: Schedule, locale?: string): string | null {
  if (!schedule.scheduledStartAt) return null;
  const start = new Date(schedule.scheduledStartAt);
  const format = dateTimeFormat(locale, schedule.timeZone ?? undefined);
  const parts = [`${format.format(start)} (${format.resolvedOptions().timeZone})`];
  if (schedule.scheduledEndAt) parts.push(`${Math.round((Date.parse(schedule.scheduledEndAt) - start.getTime()) / 60_000)} minutes`);
  parts.push(repeatLabelOf(schedule.recurrenceRule));
  return parts.join(" · ");
}

function dateTimeFormat(locale: string | undefined, timeZone: string | undefined): Intl.DateTimeFormat {
  try {
    return new Intl.DateTimeFormat(locale, { dateStyle: "full", timeStyle: "short", timeZone });
  } catch {
    // A locale this browser does not know: its own.
    return new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "short", timeZone });
  }
}
