import type { z } from "@hono/zod-openapi";
import type { MeetingRow } from "../../meetings/meeting-repository.ts";
import type { MeetingSchema } from "../schemas/meeting.ts";

const iso = (date: Date | null) => (date ? date.toISOString() : null);

/** The public shape of a meeting: internal columns (tenant, idempotency, deletion) never leave. */
export function meetingView(row: MeetingRow): z.infer<typeof MeetingSchema> {
  return {
    id: row.id,
    title: row.title,
    status: row.status,
    waitingRoom: row.waitingRoom,
    e2ee: row.e2ee,
    autoRecord: row.autoRecord,
    recordingConsent: row.recordingConsent,
    maxParticipants: row.maxParticipants,
    scheduledStartAt: iso(row.scheduledStartAt),
    scheduledEndAt: iso(row.scheduledEndAt),
    timeZone: row.timeZone,
    recurrenceRule: row.recurrenceRule,
    attendees: row.attendees,
    inviteSequence: row.inviteSequence,
    endedAt: iso(row.endedAt),
    metadata: row.metadata,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
