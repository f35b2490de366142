import type { ComposeSegmentEvent } from "../../../protocol/recording-composition.ts";
import { RecordingManifest } from "../../../protocol/recording-manifest.ts";
import { fanOut } from "../fan-out.ts";
import { segmentCommand } from "../ffmpeg-command.ts";
import { hlsLadder, segmentRenditionKey, webmRung } from "../renditions.ts";
import type { SegmentResult } from "../result.ts";
import { planSegments } from "../segment-plan.ts";
import { buildTimeline } from "../timeline.ts";
import type { CompositorPorts } from "./ports.ts";
import { Workspace } from "./workspace.ts";

/**
 * One segment's invocation: re-plans from the manifest (the plan is deterministic; the event carries what compose
 * decided beyond it), fetches only the files this segment shows, composites it once and encodes the composite and
 * every lower rendition from the same frames, uploads them and marks the segment done. A failure is thrown, so the
 * orchestrating invocation sees a function error and retries this segment alone.
 */
export async function composeSegment(event: ComposeSegmentEvent, ports: CompositorPorts): Promise<SegmentResult> {
  const { tenantId, recordingId, index, objectKey } = event;
  const json = await ports.objects.readJson(event.manifestKey);
  const manifest = RecordingManifest.parse(json);
  const timeline = buildTimeline(manifest, event.omittedTrackIds);
  const plan = planSegments(manifest, timeline, event.segmentSeconds);
  const segment = plan.segments[index];
  if (!segment || segment.key !== objectKey) throw new Error(`segment ${index} of the plan is not ${objectKey}: the plan changed`);
  const started = await ports.progress.start(tenantId, recordingId, index, objectKey);
  if (!started) throw new Error(`segment ${index} (${objectKey}) is not planned for recording ${recordingId}`);
  ports.log({ event: "segment_started", recordingId, index, attempt: started.attempts, pid: process.pid });

  const ws = await Workspace.create(ports.config.workDir, `${recordingId.slice(0, 8)}-${index}`);
  try {
    const fileKeys = [...new Set(segment.intervals.flatMap((i) => i.video.map((v) => v.fileKey)))];
    const fetched = await fanOut(fileKeys, { concurrency: 4, attempts: 2 }, async (key) => {
      if (!(await ports.objects.download(key, ws.inputPath(key)))) throw new Error(`track file ${key} is missing`);
    });
    const missing = fetched.find((f) => !f.ok);
    if (missing) throw new Error(missing.failures.at(-1));

    const rungs = [...hlsLadder.slice(1), webmRung];
    const outputs = rungs.map((rung, k) => ({
      rung,
      key: segmentRenditionKey(segment, rung),
      path: ws.path(`out-${k}.${rung === webmRung ? "webm" : "mp4"}`),
    }));
    const main = ws.path("segment.mp4");
    await ports.media.ffmpeg(
      segmentCommand(plan, segment, {
        layout: manifest.output.layout,
        names: timeline.names,
        fontFile: ports.config.fontFile,
        inputPathOf: (key) => ws.inputPath(key),
        outputPath: main,
        renditions: outputs.map(({ rung, path }) => ({ rung, path })),
      }),
    );
    const uploads = [...outputs.map((o) => ({ key: o.key, path: o.path })), { key: objectKey, path: main }];
    const uploaded = await fanOut(uploads, { concurrency: 3, attempts: 2 }, (u) =>
      ports.objects.upload(u.key, u.path, u.key.endsWith(".webm") ? "video/webm" : "video/mp4"),
    );
    const failed = uploaded.find((u) => !u.ok);
    if (failed) throw new Error(`uploading ${failed.item.key} failed: ${failed.failures.at(-1)}`);
    await ports.progress.finish(tenantId, recordingId, index, objectKey);
    return { ok: true, kind: "segment", index, objectKey, attempts: started.attempts };
  } catch (error) {
    await ports.progress.fail(tenantId, recordingId, index, objectKey, (error as Error).message).catch(() => {});
    throw error;
  } finally {
    await ws.dispose();
  }
}
