import type { CompositorConfig } from "../config.ts";
import type { Media } from "./media.ts";
import type { ReportPoster } from "./report-poster.ts";
import type { RecordingObjects } from "./s3-objects.ts";
import type { SegmentInvoker } from "./segment-invoker.ts";
import type { SegmentProgress } from "./segment-progress.ts";

/** The outside world of one container, built once by handler.ts and passed to each invocation's work. */
export interface CompositorPorts {
  config: CompositorConfig;
  objects: RecordingObjects;
  progress: SegmentProgress;
  invoker: SegmentInvoker;
  media: Media;
  reporter: ReportPoster;
  /** One JSON log line: ids and counts, never a secret or a manifest's names. */
  log: (fields: Record<string, unknown>) => void;
}
