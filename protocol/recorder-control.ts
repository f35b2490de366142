import { z } from "zod";
import { MediaRoomName, MeetingId, ParticipantIdentity, TenantId } from "./ids.ts";
import { RecordingExclusion } from "./recording-manifest.ts";

/**
 * The track recorder's control API (issue 13, "Capture"): what the TypeScript adapter
 * (media-fleet/recorder-client/) sends a recorder process (media-fleet/recorder/, Go) and what it answers.
 * The Go side mirrors these shapes in control_wire.go; the stack tests parse every answer with them.
 *
 * Every /v1 route takes `Authorization: Bearer <JWT>`: HS256 under RECORDER_CONTROL_SECRET, `aud` "recorder",
 * `exp` at most 60 s ahead. Failures are RFC 9457 problems with a stable `code`.
 */

export const recorderControlAudience = "recorder";
export const recorderControlMaxTtlSeconds = 60;

export const recorderRoutes = {
  health: "/healthz",
  start: "/v1/captures",
  capture: (recordingId: string) => `/v1/captures/${encodeURIComponent(recordingId)}`,
  pause: (recordingId: string) => `/v1/captures/${encodeURIComponent(recordingId)}/pause`,
  resume: (recordingId: string) => `/v1/captures/${encodeURIComponent(recordingId)}/resume`,
  exclusions: (recordingId: string) => `/v1/captures/${encodeURIComponent(recordingId)}/exclusions`,
  stop: (recordingId: string) => `/v1/captures/${encodeURIComponent(recordingId)}/stop`,
} as const;

const epochMs = z.number().int().min(0);

export const CaptureExclusion = z.strictObject({ identity: ParticipantIdentity, reason: RecordingExclusion });
export type CaptureExclusion = z.infer<typeof CaptureExclusion>;

const exclusionList = z
  .array(CaptureExclusion)
  .max(1000)
  .refine((list) => new Set(list.map((e) => e.identity)).size === list.length, "an identity is listed twice");

/** `POST /v1/captures`: idempotent on `recordingId` (201 when started, 200 with the status when it already was). */
export const StartCaptureRequest = z.strictObject({
  recordingId: z.uuid(),
  tenantId: TenantId,
  meetingId: MeetingId,
  room: MediaRoomName,
  /** The SFU node hosting the room: ws(s):// or http(s)://. */
  nodeUrl: z.url({ protocol: /^(wss?|https?)$/ }),
  /** Never subscribed to, from the first instant. */
  excluded: exclusionList,
  layout: z.enum(["grid", "speaker"]),
  /**
   * Another capture held this recording (its recorder was lost, or the meeting moved SFU node): take over its
   * manifest at the same key, keep its files, list the span since its last write as lost.
   */
  continuing: z.boolean().optional(),
  /** Start paused: nothing is written until a resume. */
  paused: z.boolean().optional(),
});
export type StartCaptureRequest = z.infer<typeof StartCaptureRequest>;

/** `PUT /v1/captures/{id}/exclusions`: replaces the set. */
export const ExclusionsRequest = z.strictObject({ excluded: exclusionList });
export type ExclusionsRequest = z.infer<typeof ExclusionsRequest>;

export const CaptureStateName = z.enum(["capturing", "paused", "stopped"]);

/** A capture as its recorder sees it: the answer of start, status, pause, resume and exclusions. */
export const CaptureStatusBody = z.object({
  recordingId: z.uuid(),
  state: CaptureStateName,
  startedAt: epochMs,
  /** Tracks subscribed and read now (written unless paused). */
  activeTracks: z.number().int().min(0),
  chunksUploaded: z.number().int().min(0),
  /** Chunk and manifest uploads (and excluded chunks' deletes) that failed after retries. */
  uploadFailures: z.number().int().min(0),
  excluded: z.array(CaptureExclusion),
  /** Finished pauses. */
  paused: z.array(z.object({ from: epochMs, to: epochMs })),
  /** Where the manifest is (rewritten after every chunk; final once stopped). */
  manifestKey: z.string().min(1),
});
export type CaptureStatusBody = z.infer<typeof CaptureStatusBody>;

/** `POST /v1/captures/{id}/stop`: idempotent; answers once the last chunks and the final manifest are in S3. */
export const StopCaptureBody = z.object({ manifestKey: z.string().min(1), status: CaptureStatusBody });
export type StopCaptureBody = z.infer<typeof StopCaptureBody>;

/** `GET /healthz` (no token): capacity in tracks, for placement. */
export const RecorderHealth = z.object({
  status: z.literal("ok"),
  maxTracks: z.number().int().min(1),
  activeTracks: z.number().int().min(0),
  captures: z.number().int().min(0),
});
export type RecorderHealth = z.infer<typeof RecorderHealth>;

export const recorderProblemCodes = [
  "unauthorized",
  "validation_failed",
  "malformed_json",
  "unsupported_media_type",
  "payload_too_large",
  "route_not_found",
  "recording_not_found",
  "capture_stopped",
  "recorder_full",
  "room_unreachable",
  "internal_error",
] as const;
export type RecorderProblemCode = (typeof recorderProblemCodes)[number];

export const RecorderProblem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  code: z.enum(recorderProblemCodes),
  detail: z.string().optional(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});
export type RecorderProblem = z.infer<typeof RecorderProblem>;
