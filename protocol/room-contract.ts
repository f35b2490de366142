import { z } from "zod";
import { MeetingId, ParticipantIdentity, TenantId } from "./ids.ts";
import { LocationHint } from "./location-hint.ts";
import { MediaRoomEvent } from "./media-events.ts";
import { RecordingIndicator, RecordingLayout } from "./recording-indicator.ts";
import { ParticipantRole } from "./roles.ts";

/**
 * The Worker ↔ meeting-room Durable Object contract: what the Worker sends on each internal route, as zod
 * schemas both sides use (the Worker to build, the room to check). The room is reachable only through the
 * Worker, but a contract checked on both ends keeps a change on one side from silently breaking the other.
 */

/** A participant as the Worker verified it from the join token. */
export const VerifiedParticipant = z.object({
  tenantId: TenantId,
  meetingId: MeetingId,
  identity: ParticipantIdentity,
  role: ParticipantRole,
  name: z.string().max(128).optional(),
  tokenId: z.string().min(1),
  expiresAt: z.coerce.date(),
  /** The signed-in person who minted the token; absent when the tenant's server minted it with an API key. */
  mintedBy: z.string().min(1).max(64).optional(),
});
export type VerifiedParticipant = z.infer<typeof VerifiedParticipant>;

/** The meeting's settings as the Worker last read them (they can be edited through the API). */
export const MeetingRoomSettings = z.object({
  title: z.string(),
  /** Participants at which the meeting moves from peer to peer to the SFU. */
  sfuThreshold: z.number().int().min(2),
  /** Where this joiner connects from; the first one decides where media is placed. */
  locationHint: LocationHint.nullable(),
  waitingRoom: z.boolean(),
  maxParticipants: z.number().int().min(1),
  /** ISO time at which the room ends the meeting by itself. */
  scheduledEndAt: z.iso.datetime().nullable(),
  /** Start recording when the first participant joins. */
  autoRecord: z.boolean().default(false),
  /** Recordings ask each participant, and capture only those who accept. */
  recordingConsent: z.boolean().default(false),
});
export type MeetingRoomSettings = z.infer<typeof MeetingRoomSettings>;

/**
 * The settings an API edit (`PATCH /v1/meetings/{id}`) sends a live room: everything but the location hint,
 * which only a joiner has. The room is authoritative for these while it lives, so connects need no Postgres.
 */
export const MeetingSettingsUpdate = MeetingRoomSettings.omit({ locationHint: true });
export type MeetingSettingsUpdate = z.infer<typeof MeetingSettingsUpdate>;

/**
 * The room's answer to a connect without settings when it has never been configured (no one ever joined): the
 * Worker reads the meeting from Postgres and connects again with them. 428: the request lacks what it needs.
 */
export const roomSettingsRequiredStatus = 428;

/** The end reason of a deleted meeting: the room then refuses connects as `not_found`, not `meeting_ended`. */
export const meetingDeletedReason = "deleted";

export const EndMeetingRequest = z.object({ reason: z.string().max(64) });
export type EndMeetingRequest = z.infer<typeof EndMeetingRequest>;

export { MediaRoomEvent };

/** The room's internal routes (origin is a placeholder: a stub's fetch never leaves the runtime). */
export const roomRoutes = {
  connect: "/connect",
  mediaEvent: "/media-event",
  end: "/end",
  settings: "/settings",
  analyticsStatus: "/analytics-status",
  recording: "/recording",
  recordingReady: "/recording-ready",
} as const;

/** The API tells a live room that one of its recordings is ready (POST recordingReady); hosts get the link. */
export const RecordingReadyNotice = z.object({ recordingId: z.uuid(), playbackUrl: z.url(), expiresAt: z.iso.datetime() });
export type RecordingReadyNotice = z.infer<typeof RecordingReadyNotice>;

/**
 * A recording command from the API (POST recording). `start` names the new recording (the API's id, so a retried
 * start finds the same one); the others act on the running one, which must be `recordingId`.
 */
export const RecordingCommand = z.discriminatedUnion("action", [
  z.object({
    action: z.literal("start"),
    recordingId: z.uuid(),
    by: z.string().min(1).max(128),
    layout: RecordingLayout,
    /** Defaults to the meeting's setting. */
    consentRequired: z.boolean().optional(),
  }),
  z.object({ action: z.enum(["pause", "resume", "stop"]), recordingId: z.uuid(), by: z.string().min(1).max(128) }),
]);
export type RecordingCommand = z.infer<typeof RecordingCommand>;

/** The room's answer: the recording as participants now see it (`null` once stopped). */
export const RecordingCommandAnswer = z.object({ recording: RecordingIndicator.nullable() });
export type RecordingCommandAnswer = z.infer<typeof RecordingCommandAnswer>;

/** The room's analytics queue (GET analyticsStatus): what waits for the ingestion function and what was lost. */
export const RoomAnalyticsStatus = z.object({
  /** False when no ingestion function is configured (samples still rate the roster, nothing is kept). */
  enabled: z.boolean(),
  openRecords: z.number().int(),
  queuedBatches: z.number().int(),
  queuedSamples: z.number().int(),
  /** Samples dropped because the queue reached its bound while ingestion was down (total, and not yet reported). */
  droppedSamples: z.number().int(),
  unreportedDrops: z.number().int(),
  /** Batches set aside: refused by the function, or failing while others were stored. */
  deadBatches: z.number().int(),
  storedBatches: z.number().int(),
  lastStoredAt: z.number().int().nullable(),
});
export type RoomAnalyticsStatus = z.infer<typeof RoomAnalyticsStatus>;

/**
 * Headers carrying the verified participant and the meeting's settings into the room on `connect`. Settings
 * are optional: a live room already has them (answered with `roomSettingsRequiredStatus` when it has not).
 */
export const verifiedParticipantHeader = "x-verified-participant";
export const meetingSettingsHeader = "x-meeting-settings";

/**
 * How the room refuses an internal request: a stable code (one of the API's problem codes) and a detail, with
 * the HTTP status. The Worker turns it into its `application/problem+json` answer; no room text reaches a client raw.
 */
export const RoomRouteError = z.object({ code: z.string().min(1).max(64), detail: z.string().max(500) });
export type RoomRouteError = z.infer<typeof RoomRouteError>;
