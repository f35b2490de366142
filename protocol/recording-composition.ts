import { z } from "zod";
import { TenantId } from "./ids.ts";
import { storableLine } from "./text.ts";

/**
 * The compositing Lambda's contract (issue 13): the event the API sends when a recording stops, the event the
 * orchestrating invocation sends each segment invocation, and the report the compositor posts back to the API
 * when the recording is ready or has failed. The API owns the recording's state; the compositor owns the work.
 */

const objectKey = storableLine().min(1).max(1024);

/** Sent by the API (an asynchronous invocation) when capture has stopped and the manifest is in S3. */
export const ComposeRecordingEvent = z.object({
  kind: z.literal("compose"),
  tenantId: TenantId,
  recordingId: z.uuid(),
  manifestKey: objectKey,
});
export type ComposeRecordingEvent = z.infer<typeof ComposeRecordingEvent>;

/** One segment of a planned recording, composited by its own invocation. */
export const ComposeSegmentEvent = z.object({
  kind: z.literal("segment"),
  tenantId: TenantId,
  recordingId: z.uuid(),
  manifestKey: objectKey,
  index: z.number().int().min(0).max(100_000),
  /** The plan's inputs beyond the manifest, so the segment invocation re-plans exactly what compose planned. */
  segmentSeconds: z.number().min(0.5).max(600),
  omittedTrackIds: z.array(z.string().max(64)).max(4000),
  /** The segment's planned key: a re-plan that disagrees refuses the work instead of writing another object. */
  objectKey,
});
export type ComposeSegmentEvent = z.infer<typeof ComposeSegmentEvent>;

export const CompositorEvent = z.discriminatedUnion("kind", [ComposeRecordingEvent, ComposeSegmentEvent]);
export type CompositorEvent = z.infer<typeof CompositorEvent>;

export const RenditionKind = z.enum(["mp4", "webm", "hls", "thumbnail"]);
export type RenditionKind = z.infer<typeof RenditionKind>;

export const Rendition = z.object({
  kind: RenditionKind,
  /** For `hls`, the master playlist; its variant playlists and media sit beside it under the same prefix. */
  objectKey,
  contentType: z.string().min(1).max(128),
  sizeBytes: z.number().int().min(0),
  width: z.number().int().positive().nullable(),
  height: z.number().int().positive().nullable(),
  durationMs: z.number().int().min(0).nullable(),
});
export type Rendition = z.infer<typeof Rendition>;

/** A track that could not be used (missing object, corrupt file): reported, and the rest still composites. */
export const CompositionProblem = z.object({
  code: z.enum(["track_missing", "track_corrupt", "segment_retried", "composition_failed"]),
  message: storableLine().max(2000),
  trackId: z.string().max(64).optional(),
});
export type CompositionProblem = z.infer<typeof CompositionProblem>;

/** Posted by the compositor to the API's `recordingReportPath`; sent again on retry, applied once. */
export const CompositionReport = z.discriminatedUnion("outcome", [
  z.object({
    outcome: z.literal("ready"),
    tenantId: TenantId,
    recordingId: z.uuid(),
    /** The output's length: captured time minus paused spans. */
    durationMs: z.number().int().min(0),
    renditions: z.array(Rendition).min(1).max(64),
    problems: z.array(CompositionProblem).max(1000),
  }),
  z.object({
    outcome: z.literal("failed"),
    tenantId: TenantId,
    recordingId: z.uuid(),
    error: storableLine().max(2000),
    problems: z.array(CompositionProblem).max(1000),
  }),
]);
export type CompositionReport = z.infer<typeof CompositionReport>;

/** Where the compositor posts its report, relative to the API's base URL. */
export const recordingReportPath = "/internal/recordings/composition";
/** The report's bearer token: HS256 under RECORDING_REPORT_SECRET, this audience, at most 5 minutes. */
export const recordingReportAudience = "recording-report";
export const recordingReportTtlSeconds = 300;

/** S3 layout of one recording: everything under one prefix, so deleting a recording is deleting a prefix. */
export const recordingPrefix = (tenantId: string, recordingId: string) => `recordings/${tenantId}/${recordingId}/`;
export const manifestKeyOf = (tenantId: string, recordingId: string) => `${recordingPrefix(tenantId, recordingId)}manifest.json`;
