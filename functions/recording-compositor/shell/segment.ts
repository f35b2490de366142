import type { ComposeSegmentEvent } from "../../../protocol/recording-composition.ts";
import { RecordingManifest } from "../../../protocol/recording-manifest.ts";
import { fanOut } from "../fan-out.ts";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { segmentAudioFiles, segmentAudioKey } from "../audio-plan.ts";
import { hlsCutCommand, segmentAudioCommand, segmentCommand } from "../ffmpeg-command.ts";
import { hlsRungs, type SegmentMedia, segmentMediaKey, segmentMediaOffsetSeconds, segmentMediaPattern } from "../hls-media.ts";
import { avcCodecString, hlsLadder, outputKeys, playlistSegments, segmentRenditionKey, type VideoRung, webmRung } from "../renditions.ts";
import type { RecordingPlan, Segment } from "../segment-plan.ts";
import type { SegmentResult } from "../result.ts";
import { planSegments } from "../segment-plan.ts";
import { buildTimeline } from "../timeline.ts";
import type { CompositorPorts } from "./ports.ts";
import { settleAll } from "./settle-all.ts";
import { Workspace } from "./workspace.ts";

/**
 * One segment's invocation: re-plans from the manifest (the plan is deterministic; the event carries what compose
 * decided beyond it), fetches only the files this segment shows or hears, mixes its span's audio into a lossless
 * piece (FLAC, exactly its frames' samples) and uploads it at once (the assembly's audio encoders are waiting for
 * it), and beside that composites the video once and encodes the composite and
 * every lower rendition from the same frames. Each H.264 rung is cut into its HLS media segments here, uploaded
 * under the rung's final keys; the composite (for the MP4) and the WebM's part are uploaded for the assembly to
 * join. The record of what was written goes last, then the row is marked done. A failure is thrown, so the
 * orchestrating invocation sees a function error and retries this segment alone (same keys, overwritten).
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
    // Only the files this segment shows or hears. The audio goes first and its piece is uploaded as soon as it is
    // mixed: the assembly's encoders start on the pieces while the segments still encode video.
    const fetch = async (keys: string[]) => {
      const fetched = await fanOut(keys, { concurrency: 4, attempts: 2 }, async (key) => {
        if (!(await ports.objects.download(key, ws.inputPath(key)))) throw new Error(`track file ${key} is missing`);
      });
      const missing = fetched.find((f) => !f.ok);
      if (missing) throw new Error(missing.failures.at(-1));
    };
    const rungs = [...hlsLadder.slice(1), webmRung];
    const outputs = rungs.map((rung, k) => ({
      rung,
      key: segmentRenditionKey(segment, rung),
      path: ws.path(`out-${k}.${rung === webmRung ? "webm" : "mp4"}`),
    }));
    const main = ws.path("segment.mp4");
    const audio = { key: segmentAudioKey(segment), path: ws.path("audio.flac") };
    const inputPathOf = (key: string) => ws.inputPath(key);
    await settleAll([
      (async () => {
        await fetch([...new Set(segment.intervals.flatMap((i) => i.video.map((v) => v.fileKey)))]);
        await ports.media.ffmpeg(
          segmentCommand(plan, segment, {
            layout: manifest.output.layout,
            names: timeline.names,
            fontFile: ports.config.fontFile,
            inputPathOf,
            outputPath: main,
            renditions: outputs.map(({ rung, path }) => ({ rung, path })),
          }),
        );
      })(),
      (async () => {
        await fetch(segmentAudioFiles(segment.audio));
        await ports.media.ffmpeg(segmentAudioCommand(segment.audio, { inputPathOf, outputPath: audio.path }));
        await ports.objects.upload(audio.key, audio.path, "audio/flac");
      })(),
    ]);
    const rungFiles = new Map<VideoRung, string>([[hlsLadder[0]!, main], ...outputs.map((o) => [o.rung, o.path] as const)]);
    const hls = await cutHls(plan, segment, rungFiles, outputKeys(tenantId, recordingId).hlsDir, ws, ports);
    const webm = outputs.find((o) => o.rung === webmRung)!;
    const uploads = [
      { key: objectKey, path: main, type: "video/mp4" },
      { key: webm.key, path: webm.path, type: "video/webm" },
      ...hls.files.map((f) => ({ ...f, type: "video/mp2t" })),
    ];
    const uploaded = await fanOut(uploads, { concurrency: 6, attempts: 2 }, (u) => ports.objects.upload(u.key, u.path, u.type));
    const failed = uploaded.find((u) => !u.ok);
    if (failed) throw new Error(`uploading ${failed.item.key} failed: ${failed.failures.at(-1)}`);
    const record: SegmentMedia = {
      version: 2,
      segmentKey: objectKey,
      audio: { key: audio.key, samples: segment.audio.samples },
      rungs: hls.rungs,
      fileBytes: { mp4: (await stat(main)).size, webm: (await stat(webm.path)).size },
    };
    await ports.objects.putText(segmentMediaKey(segment), JSON.stringify(record), "application/json");
    await ports.progress.finish(tenantId, recordingId, index, objectKey);
    return { ok: true, kind: "segment", index, objectKey, attempts: started.attempts };
  } catch (error) {
    await ports.progress.fail(tenantId, recordingId, index, objectKey, (error as Error).message).catch(() => {});
    throw error;
  } finally {
    await ws.dispose();
  }
}

/**
 * Each H.264 rung cut into MPEG-TS media segments (copied) at the segment's place on the HLS timeline, all rungs at
 * once: what to upload where, and per rung the media segments as cut (ffmpeg's own durations) and its codec.
 */
async function cutHls(
  plan: RecordingPlan,
  segment: Segment,
  rungFiles: ReadonlyMap<VideoRung, string>,
  hlsDir: (rung: VideoRung) => string,
  ws: Workspace,
  ports: CompositorPorts,
): Promise<{ files: { key: string; path: string }[]; rungs: SegmentMedia["rungs"] }> {
  const cuts = await Promise.all(
    hlsRungs.map(async (rung) => {
      const input = rungFiles.get(rung)!;
      const dir = await ws.subdir(`hls-${rung.name}`);
      const playlistPath = join(dir, "cut.m3u8");
      await ports.media.ffmpeg(
        hlsCutCommand({
          inputPath: input,
          offsetSeconds: segmentMediaOffsetSeconds(segment, plan.fps),
          segmentPathPattern: join(dir, segmentMediaPattern(segment)),
          playlistPath,
        }),
      );
      const cut = playlistSegments(await readFile(playlistPath, "utf8"));
      const media = await Promise.all(cut.map(async (m) => ({ ...m, bytes: (await stat(join(dir, m.uri))).size })));
      const video = (await ports.media.probe(input)).streams.find((st) => st.codec_type === "video");
      const codecs = avcCodecString(video?.profile ?? "High", video?.level ?? 40);
      const files = media.map((m) => ({ key: `${hlsDir(rung)}${m.uri}`, path: join(dir, m.uri) }));
      return { rung, codecs, media, files };
    }),
  );
  return {
    files: cuts.flatMap((c) => c.files),
    rungs: Object.fromEntries(cuts.map((c) => [c.rung.name, { codecs: c.codecs, media: c.media }])),
  };
}
