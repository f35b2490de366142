import type { WebhookFact } from "./event-catalog.ts";

/** The meeting whose facts these are. */
export interface MeetingKeys {
  tenantId: string;
  meetingId: string;
}

/** Facts about a meeting as webhook events, each keyed by what it reports so it is recorded once however often written. */
export function meetingStartedFact(keys: MeetingKeys, at: Date): WebhookFact {
  return {
    type: "meeting.started",
    data: { startedAt: at.toISOString() },
    ...keys,
    sourceKey: `meeting.started:${keys.meetingId}`,
    occurredAt: at,
  };
}

/** `participant.left` for a closed participant row; keyed by the row, so however it was closed it is reported once. */
export function participantLeftFact(
  keys: MeetingKeys,
  row: { id: string; identity: string; joinedAt: Date; leftAt: Date | null },
  reason: "left" | "removed" | "timeout" | "ended" | "superseded",
): WebhookFact {
  const leftAt = row.leftAt ?? row.joinedAt;
  return {
    type: "participant.left",
    data: {
      identity: row.identity,
      reason,
      joinedAt: row.joinedAt.toISOString(),
      leftAt: leftAt.toISOString(),
      durationSeconds: Math.max(0, Math.round((leftAt.getTime() - row.joinedAt.getTime()) / 1000)),
    },
    ...keys,
    sourceKey: `participant.left:${row.id}`,
    occurredAt: leftAt,
  };
}

/** `meeting.ended`, once per meeting whoever ends it (the room here, or the API for a meeting never joined). */
export function meetingEndedFact(keys: MeetingKeys, at: Date, reason: string): WebhookFact {
  return {
    type: "meeting.ended",
    data: { endedAt: at.toISOString(), reason },
    ...keys,
    sourceKey: `meeting.ended:${keys.meetingId}`,
    occurredAt: at,
  };
}
