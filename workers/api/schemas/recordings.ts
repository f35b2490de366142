import { z } from "@hono/zod-openapi";
import { RecordingIndicator, RecordingLayout } from "../../../protocol/recording-indicator.ts";
import { pageQueryFields } from "./page-query.ts";

export const StartRecordingBody = z
  .strictObject({
    layout: RecordingLayout.default("grid"),
    /** Defaults to the meeting's `recordingConsent`. */
    consentRequired: z.boolean().optional(),
  })
  .openapi("StartRecording");

export const RecordingIdParams = z.object({
  id: z
    .uuid()
    .toLowerCase()
    .openapi({ param: { name: "id", in: "path" } }),
  recordingId: z
    .uuid()
    .toLowerCase()
    .openapi({ param: { name: "recordingId", in: "path" } }),
});

export const RecordingActionParams = RecordingIdParams.extend({
  action: z.enum(["stop", "pause", "resume"]).openapi({ param: { name: "action", in: "path" } }),
});

export const LiveRecordingSchema = z
  .object({ id: z.uuid(), meetingId: z.uuid(), live: RecordingIndicator.nullable() })
  .openapi("LiveRecording", { description: "A recording as the meeting's participants see it now (`live` null once it stopped)" });

export const RenditionSchema = z.object({
  kind: z.enum(["mp4", "webm", "hls", "thumbnail"]),
  contentType: z.string(),
  sizeBytes: z.number().int(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  durationMs: z.number().int().nullable(),
  /** Short-lived: fetch GET /v1/recordings/{id} again for fresh ones. For `hls`, the signed master playlist. */
  url: z.string(),
  expiresAt: z.string(),
});

export const RecordingSchema = z
  .object({
    id: z.uuid(),
    meetingId: z.uuid(),
    title: z.string(),
    status: z.enum(["pending", "recording", "paused", "processing", "ready", "failed"]),
    layout: z.string(),
    startedBy: z.string().nullable(),
    startedAt: z.string().nullable(),
    endedAt: z.string().nullable(),
    readyAt: z.string().nullable(),
    durationMs: z.number().int().nullable(),
    pausedMs: z.number().int(),
    sizeBytes: z.number().int().nullable(),
    participantNames: z.array(z.string()),
    problems: z.array(z.object({ code: z.string(), message: z.string(), trackId: z.string().optional() })),
    error: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi("Recording");

export const RecordingDetailSchema = RecordingSchema.extend({ renditions: z.array(RenditionSchema) }).openapi("RecordingDetail");

export const RecordingPageSchema = z.object({ data: z.array(RecordingSchema), nextCursor: z.string().nullable() }).openapi("RecordingPage");

const dateTime = z.iso.datetime({ offset: true });

export const ListRecordingsQuery = z.object({
  ...pageQueryFields,
  meetingId: z
    .uuid()
    .toLowerCase()
    .optional()
    .openapi({ param: { name: "meetingId", in: "query" } }),
  from: dateTime.optional().openapi({ param: { name: "from", in: "query" } }),
  to: dateTime.optional().openapi({ param: { name: "to", in: "query" } }),
  participant: z
    .string()
    .min(1)
    .max(128)
    .optional()
    .openapi({ param: { name: "participant", in: "query" } }),
  q: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .optional()
    .openapi({ param: { name: "q", in: "query" }, description: "Full-text search: title, participant names, chat" }),
});

export const RecordingOnlyParam = z.object({
  id: z
    .uuid()
    .toLowerCase()
    .openapi({ param: { name: "id", in: "path" } }),
});

export const PlaybackQuery = z.object({
  t: z.uuid(),
  exp: z.coerce.number().int(),
  sig: z.string().regex(/^[0-9a-f]{64}$/),
});

export const RecordingPolicySchema = z
  .object({ retentionDays: z.number().int().min(1).max(3650).nullable() })
  .openapi("RecordingPolicy", { description: "Recordings older than retentionDays are deleted (null: kept)" });
