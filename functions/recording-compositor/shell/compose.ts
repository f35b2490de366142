import type {
  Rendition,
  ComposeRecordingEvent,
  ComposeSegmentEvent,
  CompositionProblem,
  CompositionReport,
} from "../../../protocol/recording-composition.ts";
import { containerOfCodec, RecordingManifest, type RecordingTrack } from "../../../protocol/recording-manifest.ts";
import { fanOut } from "../fan-out.ts";
import { demuxerOf } from "../ffmpeg-command.ts";
import { planSegments, type RecordingPlan } from "../segment-plan.ts";
import { buildTimeline } from "../timeline.ts";
import { assemble, readUrlSeconds } from "./assemble.ts";
import { type AudioEncoders, startAudioEncoders } from "./audio-encoders.ts";
import type { CompositorPorts } from "./ports.ts";
import { Workspace } from "./workspace.ts";

/**
 * The orchestrating invocation: manifest → probe → plan → segments fanned out (each retried alone; each also mixes
 * its span's audio, first) and, once every piece is up, the audio encoded once, whole, beside them → assembly (the
 * video joined by copying, the encoded audio muxed in) →
 * renditions recorded → the report. Everything it writes is keyed by the plan, so running it
 * again (Lambda's async retry, or by hand) skips the segments already done and rewrites the same objects and rows.
 */

/** A failure that ends the composition: reported as `failed` with this message. */
class CompositionFailed extends Error {}

/** Enough of a file for ffprobe to read its header and first packets: the whole file is the segments' to fetch. */
const probeBytes = 512 * 1024;

export async function composeRecording(event: ComposeRecordingEvent, ports: CompositorPorts): Promise<CompositionReport> {
  const problems: CompositionProblem[] = [];
  const ws = await Workspace.create(ports.config.workDir, `${event.recordingId.slice(0, 8)}-compose`);
  let report: CompositionReport;
  try {
    const manifest = await readManifest(event, ports);
    const omitted = await probeTracks(manifest.tracks, ws, ports, problems);
    const timeline = buildTimeline(manifest, omitted);
    const plan = planSegments(manifest, timeline, ports.config.segments.seconds);
    if (plan.totalFrames === 0) throw new CompositionFailed("nothing was captured: the recording is paused or empty throughout");
    // The audio encoders start once every segment has uploaded its piece, while the segments still composite.
    const segmentsFailed = new AbortController();
    const encoders = startAudioEncoders(plan, readUrlSeconds, ws, ports, segmentsFailed.signal);
    encoders.catch(() => {});
    let audio: AudioEncoders;
    try {
      await runSegments(event, plan, omitted, ports, problems);
      audio = await encoders;
    } catch (error) {
      segmentsFailed.abort();
      await encoders.then((started) => started.stop()).catch(() => {});
      throw error;
    }
    let renditions: Rendition[];
    try {
      renditions = await assemble(event, plan, audio, ws, ports);
    } finally {
      await audio.stop();
    }
    await ports.progress.saveRenditions(event.tenantId, event.recordingId, renditions);
    report = {
      outcome: "ready",
      tenantId: event.tenantId,
      recordingId: event.recordingId,
      durationMs: Math.round((plan.totalFrames * 1000) / plan.fps),
      renditions,
      problems,
    };
  } catch (error) {
    const message = (error as Error).message.slice(0, 2000);
    ports.log({ event: "compose_failed", recordingId: event.recordingId, error: message });
    report = { outcome: "failed", tenantId: event.tenantId, recordingId: event.recordingId, error: message, problems };
  } finally {
    await ws.dispose();
  }
  await ports.reporter.post(report);
  return report;
}

async function readManifest(event: ComposeRecordingEvent, ports: CompositorPorts): Promise<RecordingManifest> {
  const json = await ports.objects.readJson(event.manifestKey);
  if (json === null) throw new CompositionFailed(`the manifest ${event.manifestKey} does not exist`);
  const parsed = RecordingManifest.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new CompositionFailed(`the manifest is invalid: ${first.join("; ")}`);
  }
  if (parsed.data.tenantId !== event.tenantId || parsed.data.recordingId !== event.recordingId)
    throw new CompositionFailed("the manifest belongs to another recording");
  return parsed.data;
}

/**
 * The head of each track's file is fetched (the segments fetch what they show and hear) and read by ffprobe. A missing object or a file ffprobe can't read as the track's codec makes the
 * track unusable: reported, and left out of the composite.
 */
async function probeTracks(
  tracks: readonly RecordingTrack[],
  ws: Workspace,
  ports: CompositorPorts,
  problems: CompositionProblem[],
): Promise<string[]> {
  const outcomes = await fanOut(tracks, { concurrency: 4, attempts: 1 }, async (track) => {
    for (const [n, file] of track.files.entries()) {
      const path = ws.path(`probe-${track.id}-${n}`);
      if (!(await ports.objects.download(file.key, path, probeBytes)))
        return { code: "track_missing" as const, message: `file ${n + 1} of ${track.files.length} (${file.key}) is missing` };
      try {
        const probe = await ports.media.probe(path, demuxerOf[containerOfCodec[track.codec]]);
        if (!probe.streams.some((s) => s.codec_type === track.kind && s.codec_name === track.codec))
          return { code: "track_corrupt" as const, message: `file ${n + 1} (${file.key}) holds no ${track.codec} ${track.kind}` };
      } catch (error) {
        return { code: "track_corrupt" as const, message: `file ${n + 1} (${file.key}) is unreadable: ${(error as Error).message}` };
      } finally {
        await ws.remove(path);
      }
    }
    return null;
  });
  const omitted: string[] = [];
  for (const { item: track, value, ok, failures } of outcomes) {
    const problem = ok ? value : { code: "track_corrupt" as const, message: failures.join("; ") };
    if (!problem) continue;
    omitted.push(track.id);
    problems.push({ ...problem, message: `${track.source} of ${track.participant}: ${problem.message}`.slice(0, 2000), trackId: track.id });
  }
  return omitted;
}

async function runSegments(
  event: ComposeRecordingEvent,
  plan: RecordingPlan,
  omittedTrackIds: string[],
  ports: CompositorPorts,
  problems: CompositionProblem[],
): Promise<void> {
  const { segments: settings } = ports.config;
  const statuses = await ports.progress.plan(
    event.tenantId,
    event.recordingId,
    plan.segments.map((s) => ({ index: s.index, key: s.key, frames: s.frames })),
  );
  const pending = plan.segments.filter((s) => statuses.get(s.index) !== "done");
  ports.log({ event: "segments_planned", recordingId: event.recordingId, segments: plan.segments.length, pending: pending.length });
  const outcomes = await fanOut(pending, { concurrency: settings.concurrency, attempts: settings.attempts }, (segment) => {
    const segmentEvent: ComposeSegmentEvent = {
      kind: "segment",
      tenantId: event.tenantId,
      recordingId: event.recordingId,
      manifestKey: event.manifestKey,
      index: segment.index,
      segmentSeconds: settings.seconds,
      omittedTrackIds,
      objectKey: segment.key,
    };
    return ports.invoker.invoke(segmentEvent);
  });
  for (const { item, ok, failures } of outcomes) {
    if (ok && failures.length)
      problems.push({
        code: "segment_retried",
        message: `segment ${item.index} failed ${failures.length} time(s), then succeeded; first failure: ${failures[0]}`.slice(0, 2000),
      });
  }
  const failed = outcomes.find((o) => !o.ok);
  if (failed)
    throw new CompositionFailed(
      `segment ${failed.item.index} failed ${failed.failures.length} time(s); last: ${failed.failures.at(-1)}`.slice(0, 2000),
    );
}
