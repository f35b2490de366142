import { type Attendee, parseAttendees } from "./attendee-list.ts";
import { isTimeZone, wallClockToInstant } from "./wall-clock.ts";

/**
 * The schedule form's choices, and its raw values turned into the schedule fields of `POST /v1/meetings`, or
 * the first field that is wrong and why. The start is a wall-clock time in the chosen zone (wall-clock.ts).
 */
export const durationChoices = [15, 30, 45, 60, 90] as const;
export const defaultDurationMinutes = 30;

/** RFC 5545 RRULE values (no `RRULE:` prefix), repeated from the start's own weekday and time in its zone. */
export const repeatChoices = [
  { label: "Does not repeat", rule: null },
  { label: "Daily", rule: "FREQ=DAILY" },
  { label: "Weekly", rule: "FREQ=WEEKLY" },
  { label: "Every weekday (Monday to Friday)", rule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR" },
] as const;

export interface ScheduleFields {
  title: string;
  /** `datetime-local` value: "2026-03-03T09:00". */
  start: string;
  durationMinutes: number;
  timeZone: string;
  /** The attendees box as typed (attendee-list.ts). */
  attendees: string;
  recurrenceRule: string | null;
}

export interface ScheduleRequest {
  title: string;
  scheduledStartAt: string;
  scheduledEndAt: string;
  timeZone: string;
  recurrenceRule: string | null;
  attendees: Attendee[];
}

export type ScheduleField = "title" | "start" | "timeZone" | "attendees";
export type ScheduleCheck = { ok: true; request: ScheduleRequest } | { ok: false; field: ScheduleField; message: string };

export function scheduleRequestOf(fields: ScheduleFields): ScheduleCheck {
  const title = fields.title.trim();
  if (!title) return { ok: false, field: "title", message: "Give the meeting a title" };
  const timeZone = fields.timeZone.trim();
  if (!isTimeZone(timeZone)) return { ok: false, field: "timeZone", message: "Choose a time zone such as Europe/Paris" };
  const start = wallClockToInstant(fields.start, timeZone);
  if (!start) return { ok: false, field: "start", message: "Choose the date and time the meeting starts" };
  const { attendees, invalid } = parseAttendees(fields.attendees);
  if (invalid.length > 0) return { ok: false, field: "attendees", message: `Not an email address: ${invalid.join(", ")}` };
  const end = new Date(start.getTime() + fields.durationMinutes * 60_000);
  return {
    ok: true,
    request: {
      title,
      scheduledStartAt: start.toISOString(),
      scheduledEndAt: end.toISOString(),
      timeZone,
      recurrenceRule: fields.recurrenceRule,
      attendees,
    },
  };
}

/** How a meeting repeats, in words ("Weekly"); a rule set elsewhere (through the API) shows as written. */
export function repeatLabelOf(rule: string | null): string {
  return repeatChoices.find((choice) => choice.rule === rule)?.label ?? rule ?? repeatChoices[0].label;
}
