import { z } from "zod";
import { participantRoles } from "../../../protocol/roles.ts";

/**
 * The events a tenant's server can receive: each type's `data` schema, versioned by `version` in the envelope.
 * These schemas are the published contract (the OpenAPI document's `webhooks` section is generated from them);
 * a change that is not purely additive needs a new version.
 */
export const webhookSchemaVersion = 1;

const isoTime = z.iso.datetime({ offset: true });
const role = z.enum(participantRoles);

export const webhookEventData = {
  "meeting.started": z.object({ startedAt: isoTime }),
  "meeting.ended": z.object({
    endedAt: isoTime,
    /** `api` (ended or deleted through the API), or the room's own reason (`schedule`, `idle`, `host`). */
    reason: z.string(),
  }),
  /**
   * A version of a scheduled meeting's calendar invite, to send to its attendees: at scheduling, at every change they
   * must take (`REQUEST` with a higher `sequence`, same `uid`) and at cancellation (`CANCEL`). `ics` is the whole
   * RFC 5545 document, as GET /v1/meetings/{id}/invite.ics serves it.
   */
  "meeting.invite": z.object({
    method: z.enum(["REQUEST", "CANCEL"]),
    uid: z.string(),
    sequence: z.number().int().min(0),
    title: z.string(),
    startsAt: isoTime,
    endsAt: isoTime,
    timeZone: z.string().nullable(),
    recurrenceRule: z.string().nullable(),
    attendees: z.array(z.object({ email: z.string(), name: z.string().optional() })),
    joinUrl: z.string(),
    ics: z.string(),
  }),
  "participant.joined": z.object({ identity: z.string(), name: z.string().nullable(), role, joinedAt: isoTime }),
  "participant.left": z.object({
    identity: z.string(),
    reason: z.enum(["left", "removed", "timeout", "ended", "superseded"]),
    joinedAt: isoTime,
    leftAt: isoTime,
    durationSeconds: z.number().int().min(0),
  }),
  "participant.admitted": z.object({ identity: z.string(), by: z.string(), at: isoTime }),
  "participant.denied": z.object({ identity: z.string(), by: z.string(), at: isoTime }),
  "chat.message": z.object({ seq: z.number().int(), sender: z.string(), body: z.string(), sentAt: isoTime }),
  "usage.period_closed": z.object({
    periodStart: isoTime,
    periodEnd: isoTime,
    /** Per meter: quantity and amount in the tenant's currency's minor unit, as frozen at close. */
    meters: z.array(z.object({ meter: z.string(), quantity: z.number(), billedQuantity: z.number(), amountMinor: z.number().int() })),
    totalMinor: z.number().int(),
    currency: z.string(),
  }),
  "endpoint.disabled": z.object({ endpointId: z.uuid(), url: z.string(), reason: z.enum(["gone", "failing"]), at: isoTime }),
  "recording.started": z.object({ recordingId: z.uuid(), startedBy: z.string(), startedAt: isoTime, layout: z.enum(["grid", "speaker"]) }),
  "recording.paused": z.object({ recordingId: z.uuid(), by: z.string(), at: isoTime }),
  "recording.resumed": z.object({ recordingId: z.uuid(), by: z.string(), at: isoTime }),
  "recording.ready": z.object({
    recordingId: z.uuid(),
    durationSeconds: z.number().min(0),
    /** What can be fetched through GET /v1/recordings/{id} (which signs the URLs). */
    renditions: z.array(z.enum(["mp4", "webm", "hls", "thumbnail"])),
    /** Tracks that could not be used (missing, corrupt); the rest was composited. */
    problems: z.array(z.object({ code: z.string(), message: z.string(), trackId: z.string().optional() })),
  }),
  "recording.failed": z.object({ recordingId: z.uuid(), error: z.string(), at: isoTime }),
} as const;

export type WebhookEventType = keyof typeof webhookEventData;
export const webhookEventTypes = Object.keys(webhookEventData) as WebhookEventType[];
export const WebhookEventTypeSchema = z.enum(webhookEventTypes as [WebhookEventType, ...WebhookEventType[]]);

/** Sent only to endpoints that list them: a busy chat would otherwise flood every integration. */
export const optInEventTypes: readonly WebhookEventType[] = ["chat.message"];

export type WebhookEventDataOf<T extends WebhookEventType> = z.infer<(typeof webhookEventData)[T]>;

/** One fact to report, before it is recorded. */
export type WebhookFact = {
  [T in WebhookEventType]: {
    type: T;
    data: WebhookEventDataOf<T>;
    tenantId: string;
    /** Null for tenant-wide events (usage, endpoints). */
    meetingId: string | null;
    /** Names the fact (`participant.joined:<row id>`): recording the same fact twice records one event. */
    sourceKey: string;
    occurredAt: Date;
  };
}[WebhookEventType];

/** What a receiver gets as the body (and what is signed). */
export interface WebhookEnvelope {
  id: string;
  type: WebhookEventType;
  version: number;
  timestamp: string;
  meetingId: string | null;
  data: Record<string, unknown>;
}

export function envelopeOf(eventId: string, fact: WebhookFact): WebhookEnvelope {
  return {
    id: eventId,
    type: fact.type,
    version: webhookSchemaVersion,
    timestamp: fact.occurredAt.toISOString(),
    meetingId: fact.meetingId,
    data: fact.data as Record<string, unknown>,
  };
}

/** Whether an endpoint with this filter receives this type: an empty filter means all but the opt-in types. */
export function endpointWants(eventTypes: readonly string[], type: WebhookEventType): boolean {
  return eventTypes.length === 0 ? !optInEventTypes.includes(type) : eventTypes.includes(type);
}
