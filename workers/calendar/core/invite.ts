import ical, { ICalAttendeeRole, ICalAttendeeStatus, ICalCalendarMethod, ICalEventStatus } from "ical-generator";
import { tzlib_get_ical_block } from "timezones-ical-library";

/** What an invite says about one meeting. */
export interface InviteMeeting {
  id: string;
  title: string;
  start: Date;
  end: Date;
  /** IANA zone the schedule is meant in; null: UTC. */
  timeZone: string | null;
  recurrenceRule: string | null;
  attendees: ReadonlyArray<{ email: string; name?: string }>;
  sequence: number;
  cancelled: boolean;
  joinUrl: string;
}

/** Stable across every version of a meeting's invite, so calendars update the event instead of adding one. */
export const inviteUid = (meetingId: string) => `${meetingId}@edge-meetings`;

/**
 * An iCalendar (RFC 5545) document: one meeting's invite (`REQUEST`, or `CANCEL` once it is cancelled) or a feed of
 * several (`PUBLISH`). A meeting with a time zone is written in that zone with its VTIMEZONE, so a weekly 09:00 stays
 * 09:00 local on both sides of a DST change; without one, in UTC. Pure.
 */
export function inviteCalendar(meetings: readonly InviteMeeting[], method: "REQUEST" | "CANCEL" | "PUBLISH", name?: string): string {
  const calendar = ical({
    prodId: { company: "edge-meetings", product: "meetings", language: "EN" },
    method:
      method === "REQUEST" ? ICalCalendarMethod.REQUEST : method === "CANCEL" ? ICalCalendarMethod.CANCEL : ICalCalendarMethod.PUBLISH,
    ...(name ? { name } : {}),
  });
  for (const zone of new Set(meetings.map((m) => m.timeZone).filter((z): z is string => z !== null))) {
    calendar.timezone({ name: zone, generator: vtimezone });
  }
  for (const meeting of meetings) {
    calendar.createEvent({
      id: inviteUid(meeting.id),
      sequence: meeting.sequence,
      ...(meeting.timeZone
        ? { start: wallClock(meeting.start, meeting.timeZone), end: wallClock(meeting.end, meeting.timeZone), timezone: meeting.timeZone }
        : { start: meeting.start, end: meeting.end }),
      summary: meeting.title,
      description: `Join: ${meeting.joinUrl}`,
      location: meeting.joinUrl,
      url: meeting.joinUrl,
      status: meeting.cancelled ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
      ...(meeting.recurrenceRule ? { repeating: `RRULE:${meeting.recurrenceRule}` } : {}),
      attendees: meeting.attendees.map((a) => ({
        email: a.email,
        ...(a.name ? { name: a.name } : {}),
        role: ICalAttendeeRole.REQ,
        status: ICalAttendeeStatus.NEEDSACTION,
        rsvp: true,
      })),
    });
  }
  return calendar.toString();
}

/**
 * ical-generator writes a zoned event's times as the given Date's UTC fields, taken as wall-clock time in the zone:
 * so it gets the instant's wall-clock time in that zone, carried in a Date's UTC fields.
 */
function wallClock(instant: Date, zone: string): Date {
  const fields = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    })
      .formatToParts(instant)
      .map((part) => [part.type, Number(part.value)]),
  ) as Record<string, number>;
  return new Date(Date.UTC(fields.year!, fields.month! - 1, fields.day!, fields.hour!, fields.minute!, fields.second!));
}

function vtimezone(zone: string): string | null {
  const block = tzlib_get_ical_block(zone);
  const text = Array.isArray(block) ? block[0] : block;
  return typeof text === "string" && text.includes("BEGIN:VTIMEZONE") ? text : null;
}
