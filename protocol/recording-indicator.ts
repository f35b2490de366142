import { z } from "zod";

/**
 * What every participant is told about the meeting's recording (issue 13): the indicator a page must show, in
 * `welcome` and in `recording_state` frames. The room sends it before the recorder may capture anything, so no
 * one is captured without having been told.
 *
 * `starting` while the meeting moves to the SFU and the recorder joins; `capturing`; `paused` (nothing is
 * captured); `stopping` while the recorder uploads its last chunks.
 */
export const RecordingPhase = z.enum(["starting", "capturing", "paused", "stopping"]);
export type RecordingPhase = z.infer<typeof RecordingPhase>;

export const RecordingLayout = z.enum(["grid", "speaker"]);
export type RecordingLayout = z.infer<typeof RecordingLayout>;

export const RecordingIndicator = z.object({
  recordingId: z.uuid(),
  phase: RecordingPhase,
  startedAt: z.string(),
  startedBy: z.string(),
  layout: RecordingLayout,
  /** Each participant is asked; nobody is captured before accepting. */
  consentRequired: z.boolean(),
  /** Who is in the meeting and not captured: declined, not yet answered (consent), or excluded by a host. */
  notCaptured: z.array(z.object({ identity: z.string(), reason: z.enum(["declined", "pending", "excluded_by_host"]) })),
  /** Set while the capture moves to another recorder (its recorder was lost, or the meeting changed SFU node): nothing is captured since then. */
  interruptedSince: z.string().optional(),
  /** Spans nothing reached the recording (listed once the capture continued); the composite shows them as a gap. */
  gaps: z.array(z.object({ reason: z.enum(["recorder_lost", "sfu_moved"]), from: z.string(), to: z.string() })).optional(),
});
export type RecordingIndicator = z.infer<typeof RecordingIndicator>;
