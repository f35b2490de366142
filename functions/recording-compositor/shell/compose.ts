import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type ComposeRecordingEvent,
  type ComposeSegmentEvent,
  type CompositionProblem,
  type CompositionReport,
  type Rendition,
  recordingPrefix,
} from "../../../protocol/recording-composition.ts";
import { containerOfCodec, RecordingManifest, type RecordingTrack } from "../../../protocol/recording-manifest.ts";
import { fanOut } from "../fan-out.ts";
import { audioCommand, hlsVariantCommand, muxCommand, thumbnailCommand } from "../ffmpeg-command.ts";
import {
  avcCodecString,
  type HlsVariant,
  hlsLadder,
  masterPlaylist,
  outputKeys,
  playlistSegments,
  segmentRenditionKey,
  thumbnailSize,
  thumbnailTimes,
  type VideoRung,
  variantBandwidth,
  webmRung,
} from "../renditions.ts";
import { assemblyConcatList, planSegments, type RecordingPlan } from "../segment-plan.ts";
import { buildTimeline } from "../timeline.ts";
import type { CompositorPorts } from "./ports.ts";
import { Workspace } from "./workspace.ts";

/**
 * The orchestrating invocation: manifest → probe → plan → segments fanned out (each retried alone) → assembly by
 * copying → renditions uploaded and recorded → the report. Everything it writes is keyed by the plan, so running it
 * again (Lambda's async retry, or by hand) skips the segments already done and rewrites the same objects and rows.
 */

/** A failure that ends the composition: reported as `failed` with this message. */
class CompositionFailed extends Error {}

/** Enough of a video file for ffprobe to read its header and first frames: the whole file is the segments' to fetch. */
const videoProbeBytes = 512 * 1024;
const demuxerOf = { ivf: "ivf", ogg: "ogg" } as const;
const uploadConcurrency = 6;

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
    await runSegments(event, plan, omitted, ports, problems);
    const renditions = await assemble(event, plan, ws, ports);
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
 * Each track's files are fetched (audio whole: the assembly mixes it; video only its head: the segments fetch what
 * they show) and read by ffprobe. A missing object or a file ffprobe can't read as the track's codec makes the
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
      const audio = track.kind === "audio";
      const path = audio ? ws.inputPath(file.key) : ws.path(`probe-${track.id}-${n}`);
      if (!(await ports.objects.download(file.key, path, audio ? undefined : videoProbeBytes)))
        return { code: "track_missing" as const, message: `file ${n + 1} of ${track.files.length} (${file.key}) is missing` };
      try {
        const probe = await ports.media.probe(path, demuxerOf[containerOfCodec[track.codec]]);
        if (!probe.streams.some((s) => s.codec_type === track.kind && s.codec_name === track.codec))
          return { code: "track_corrupt" as const, message: `file ${n + 1} (${file.key}) holds no ${track.codec} ${track.kind}` };
      } catch (error) {
        return { code: "track_corrupt" as const, message: `file ${n + 1} (${file.key}) is unreadable: ${(error as Error).message}` };
      } finally {
        if (!audio) await ws.remove(path);
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

const contentTypeOf = (name: string): string =>
  name.endsWith(".m3u8") ? "application/vnd.apple.mpegurl" : name.endsWith(".ts") ? "video/mp2t" : "application/octet-stream";

/**
 * The audio mixed and encoded once per codec, then each rendition joined from its segments by copying, muxed with
 * the audio, uploaded and deleted before the next (the local disk holds one rendition at a time, plus the MP4 for
 * the stills).
 */
async function assemble(event: ComposeRecordingEvent, plan: RecordingPlan, ws: Workspace, ports: CompositorPorts): Promise<Rendition[]> {
  const { media, objects } = ports;
  const durationSeconds = plan.totalFrames / plan.fps;
  const durationMs = Math.round(durationSeconds * 1000);
  const keys = outputKeys(event.tenantId, event.recordingId);
  const aac = ws.path("audio.m4a");
  const opus = ws.path("audio.ogg");
  await media.ffmpeg(audioCommand(plan, { inputPathOf: (key) => ws.inputPath(key), aacPath: aac, opusPath: opus }));

  /** Downloads a rung's segments and writes their concat list. */
  const fetchRung = async (rung: VideoRung): Promise<{ list: string; dir: string }> => {
    const dir = await ws.subdir(`rung-${rung.name}`);
    const ext = rung.name === webmRung.name ? "webm" : "mp4";
    const pathOf = (index: number) => join(dir, `${String(index).padStart(5, "0")}.${ext}`);
    const fetched = await fanOut(plan.segments, { concurrency: uploadConcurrency, attempts: 2 }, async (segment) => {
      const key = segmentRenditionKey(segment, rung);
      if (!(await objects.download(key, pathOf(segment.index)))) throw new Error(`segment object ${key} is missing`);
    });
    const missing = fetched.find((f) => !f.ok);
    if (missing) throw new CompositionFailed(missing.failures.at(-1) ?? "a segment object is missing");
    const list = join(dir, "segments.ffconcat");
    await writeFile(
      list,
      assemblyConcatList(plan, (s) => pathOf(s.index)),
    );
    return { list, dir };
  };

  const renditions: Rendition[] = [];
  const variants: HlsVariant[] = [];
  let hlsBytes = 0;
  const mp4 = ws.path("composite.mp4");
  for (const rung of hlsLadder) {
    const { list, dir } = await fetchRung(rung);
    if (rung === hlsLadder[0]) {
      await media.ffmpeg(muxCommand({ concatListPath: list, audioPath: aac, outputPath: mp4, durationSeconds }));
      const sizeBytes = await objects.upload(keys.mp4, mp4, "video/mp4");
      renditions.push({ kind: "mp4", objectKey: keys.mp4, contentType: "video/mp4", sizeBytes, width: 1920, height: 1080, durationMs });
    }
    const hlsDir = await ws.subdir(`hls-${rung.name}`);
    await media.ffmpeg(hlsVariantCommand({ concatListPath: list, audioPath: aac, dir: hlsDir, durationSeconds }));
    const playlist = await readFile(join(hlsDir, "index.m3u8"), "utf8");
    const sized = await Promise.all(playlistSegments(playlist).map(async (s) => ({ ...s, bytes: (await stat(join(hlsDir, s.uri))).size })));
    const files = await readdir(hlsDir);
    const uploaded = await fanOut(files, { concurrency: uploadConcurrency, attempts: 2 }, (name) =>
      objects.upload(`${keys.hlsDir(rung)}${name}`, join(hlsDir, name), contentTypeOf(name)),
    );
    const failedUpload = uploaded.find((u) => !u.ok);
    if (failedUpload) throw new Error(`uploading ${failedUpload.item} failed: ${failedUpload.failures.at(-1)}`);
    hlsBytes += uploaded.reduce((sum, u) => sum + (u.value ?? 0), 0);
    const probe = await media.probe(join(hlsDir, sized[0]?.uri ?? "index.m3u8"));
    const video = probe.streams.find((s) => s.codec_type === "video");
    const bandwidth = variantBandwidth(sized);
    variants.push({
      rung,
      uri: `${rung.name}/index.m3u8`,
      peakBandwidth: bandwidth.peak,
      averageBandwidth: bandwidth.average,
      codecs: `${avcCodecString(video?.profile ?? "High", video?.level ?? 40)},mp4a.40.2`,
    });
    await ws.remove(dir);
    await ws.remove(hlsDir);
  }
  const master = ws.path("master.m3u8");
  await writeFile(master, masterPlaylist(variants));
  hlsBytes += await objects.upload(keys.hlsMaster, master, "application/vnd.apple.mpegurl");
  const top = hlsLadder[0]!;
  renditions.push({
    kind: "hls",
    objectKey: keys.hlsMaster,
    contentType: "application/vnd.apple.mpegurl",
    sizeBytes: hlsBytes,
    width: top.width,
    height: top.height,
    durationMs,
  });

  const webm = await fetchRung(webmRung);
  const webmPath = ws.path("composite.webm");
  await media.ffmpeg(muxCommand({ concatListPath: webm.list, audioPath: opus, outputPath: webmPath, durationSeconds }));
  const webmSize = await objects.upload(keys.webm, webmPath, "video/webm");
  renditions.push({
    kind: "webm",
    objectKey: keys.webm,
    contentType: "video/webm",
    sizeBytes: webmSize,
    width: webmRung.width,
    height: webmRung.height,
    durationMs,
  });
  await ws.remove(webm.dir);

  for (const [n, atMs] of thumbnailTimes(durationMs).entries()) {
    const still = ws.path(`thumbnail-${n}.jpg`);
    await media.ffmpeg(thumbnailCommand(mp4, atMs, still));
    const key = keys.thumbnail(n);
    const sizeBytes = await objects.upload(key, still, "image/jpeg");
    renditions.push({ kind: "thumbnail", objectKey: key, contentType: "image/jpeg", sizeBytes, ...thumbnailSize, durationMs: null });
  }
  // Every key is the recording's: deleting the recording's prefix deletes all of it.
  const prefix = recordingPrefix(event.tenantId, event.recordingId);
  if (renditions.some((r) => !r.objectKey.startsWith(prefix))) throw new Error("a rendition key is outside the recording's prefix");
  return renditions;
}
