import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type ComposeRecordingEvent, type Rendition, recordingPrefix } from "../../../protocol/recording-composition.ts";
import { fanOut } from "../fan-out.ts";
import { hlsCutCommand, mp4JoinCommand, thumbnailCommand, webmJoinCommand } from "../ffmpeg-command.ts";
import {
  hlsAudioGroup,
  hlsRungs,
  hlsTimelineOriginSeconds,
  mediaPlaylist,
  rungMedia,
  SegmentMedia,
  segmentMediaKey,
} from "../hls-media.ts";
import {
  type HlsVariant,
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
import { assemblyConcatList, type RecordingPlan } from "../segment-plan.ts";
import type { AudioEncoders } from "./audio-encoders.ts";
import { checkPieceRecords } from "./audio-pieces.ts";
import { uploadFragmentedMp4 } from "./fragmented-mp4-upload.ts";
import { uploadGrowingFile } from "./growing-file-upload.ts";
import type { FfmpegRun } from "./media.ts";
import type { CompositorPorts } from "./ports.ts";
import { settleAll } from "./settle-all.ts";
import type { Workspace } from "./workspace.ts";

/**
 * The assembly, once every segment is done: it re-encodes no video. The audio encoders (`audio-encoders.ts`,
 * started while the segments ran) are piped into the joins: the MP4 (fragmented) streams from its ffmpeg into a
 * multipart upload, and the AAC's copy beside it becomes the HLS audio rendition; the WebM (Opus) goes to disk,
 * uploaded as it grows. The HLS ladder's video is already in place (the segment invocations cut it), so HLS is the
 * AAC cut into its own rendition plus playlists written from the segments' records. The stills come from the
 * segments. Nothing of the size of the MP4 touches the disk.
 */

const transfers = 8;
/** How long the segments' and pieces' read URLs last: longer than any join (a 4-hour one takes minutes). */
export const readUrlSeconds = 3600;
const playlistType = "application/vnd.apple.mpegurl";

export async function assemble(
  event: ComposeRecordingEvent,
  plan: RecordingPlan,
  audio: AudioEncoders,
  ws: Workspace,
  ports: CompositorPorts,
): Promise<Rendition[]> {
  const durationSeconds = plan.totalFrames / plan.fps;
  const durationMs = Math.round(durationSeconds * 1000);
  const keys = outputKeys(event.tenantId, event.recordingId);
  const records = await readMediaRecords(plan, ports);
  checkPieceRecords(plan, records);
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  const assembled = (kind: string, bytes: number) =>
    ports.log({ event: "assembled", recordingId: event.recordingId, kind, bytes, ms: ms() });

  const videoList = async (rung: VideoRung | null): Promise<string> => {
    const urls = await Promise.all(
      plan.segments.map((s) => ports.objects.readUrl(rung ? segmentRenditionKey(s, rung) : s.key, readUrlSeconds)),
    );
    const list = ws.path(`${rung?.name ?? "mp4"}.ffconcat`);
    await writeFile(
      list,
      assemblyConcatList(plan, (s) => urls[s.index]!),
    );
    return list;
  };

  /** An encoder piped into its join; both exit 0 or the pair is stopped and the failure thrown. */
  const pipeline = async <T>(encoder: FfmpegRun, join: FfmpegRun, consume: (done: Promise<void>) => Promise<T>): Promise<T> => {
    const done = Promise.all([encoder.exited, join.exited]).then(() => {});
    try {
      return await consume(done);
    } catch (error) {
      encoder.stop();
      join.stop();
      await Promise.allSettled([encoder.exited, join.exited]);
      throw error;
    }
  };

  const mp4AndHls = async (): Promise<Rendition[]> => {
    const join = ports.media.ffmpegStream(mp4JoinCommand({ videoListPath: await videoList(null), durationSeconds }), {
      stdin: audio.aac.output,
      stdout: "pipe",
    });
    const sizeBytes = await pipeline(audio.aac.run, join, (done) => uploadFragmentedMp4(join.stdout!, done, keys.mp4, ports.objects));
    assembled("mp4", sizeBytes);
    const mp4: Rendition = {
      kind: "mp4",
      objectKey: keys.mp4,
      contentType: "video/mp4",
      sizeBytes,
      width: 1920,
      height: 1080,
      durationMs,
    };
    const hls = await writeHls(plan, records, audio.aacPath, keys, durationMs, ws, ports);
    assembled("hls", hls.sizeBytes);
    return [hls, mp4];
  };

  const webm = async (): Promise<Rendition> => {
    const outputPath = ws.path("composite.webm");
    const join = ports.media.ffmpegStream(webmJoinCommand({ videoListPath: await videoList(webmRung), outputPath, durationSeconds }), {
      stdin: audio.opus.output,
      stdout: "ignore",
    });
    const sizeBytes = await pipeline(audio.opus.run, join, (done) =>
      uploadGrowingFile(outputPath, keys.webm, "video/webm", done, ports.objects),
    );
    await ws.remove(outputPath);
    assembled("webm", sizeBytes);
    return { kind: "webm", objectKey: keys.webm, contentType: "video/webm", sizeBytes, ...webmSize, durationMs };
  };

  const [[hls, mp4], webmRendition, stills] = (await settleAll<Rendition[] | Rendition>([
    mp4AndHls(),
    webm(),
    thumbnails(plan, durationMs, keys.thumbnail, ws, ports),
  ])) as [Rendition[], Rendition, Rendition[]];
  const renditions = [hls!, mp4!, webmRendition, ...stills];
  // Every key is the recording's: deleting the recording's prefix deletes all of it.
  const prefix = recordingPrefix(event.tenantId, event.recordingId);
  if (renditions.some((r) => !r.objectKey.startsWith(prefix))) throw new Error("a rendition key is outside the recording's prefix");
  return renditions;
}

const webmSize = { width: webmRung.width, height: webmRung.height };

/** Each segment's record of its HLS media, in segment order. */
async function readMediaRecords(plan: RecordingPlan, ports: CompositorPorts): Promise<SegmentMedia[]> {
  const read = await fanOut(plan.segments, { concurrency: 16, attempts: 2 }, async (segment) => {
    const key = segmentMediaKey(segment);
    const parsed = SegmentMedia.safeParse(await ports.objects.readJson(key));
    if (!parsed.success) throw new Error(`the media record ${key} is missing or invalid`);
    return parsed.data;
  });
  const failed = read.find((r) => !r.ok);
  if (failed) throw new Error(failed.failures.at(-1));
  return read.map((r) => r.value!);
}

/**
 * The HLS rendition: the AAC cut into its own media segments on the same timeline as the video's, each variant's
 * playlist from the segments' records, and the master playlist naming the audio group.
 */
async function writeHls(
  plan: RecordingPlan,
  records: readonly SegmentMedia[],
  aac: string,
  keys: ReturnType<typeof outputKeys>,
  durationMs: number,
  ws: Workspace,
  ports: CompositorPorts,
): Promise<Rendition> {
  const dir = await ws.subdir("hls-audio");
  const audioDirKey = keys.hlsMaster.replace(/master\.m3u8$/, `${hlsAudioGroup.dir}/`);
  await ports.media.ffmpeg(
    hlsCutCommand({
      inputPath: aac,
      offsetSeconds: hlsTimelineOriginSeconds,
      segmentPathPattern: join(dir, "%05d.ts"),
      playlistPath: join(dir, "index.m3u8"),
    }),
  );
  const names = await readdir(dir);
  const uploaded = await fanOut(names, { concurrency: transfers, attempts: 2 }, (name) =>
    ports.objects.upload(`${audioDirKey}${name}`, join(dir, name), name.endsWith(".m3u8") ? playlistType : "video/mp2t"),
  );
  const failedUpload = uploaded.find((u) => !u.ok);
  if (failedUpload) throw new Error(`uploading ${failedUpload.item} failed: ${failedUpload.failures.at(-1)}`);
  let bytes = uploaded.reduce((sum, u) => sum + (u.value ?? 0), 0);
  const audioMedia = await Promise.all(
    playlistSegments(await readFile(join(dir, "index.m3u8"), "utf8")).map(async (m) => ({
      ...m,
      bytes: (await stat(join(dir, m.uri))).size,
    })),
  );
  const audioBandwidth = variantBandwidth(audioMedia);
  await ws.remove(dir);

  const variants: HlsVariant[] = [];
  for (const rung of hlsRungs) {
    const { codecs, media } = rungMedia(plan.segments, records, rung);
    bytes += await ports.objects.putText(`${keys.hlsDir(rung)}index.m3u8`, mediaPlaylist(media), playlistType);
    bytes += media.reduce((sum, m) => sum + m.bytes, 0);
    const video = variantBandwidth(media);
    variants.push({
      rung,
      uri: `${rung.name}/index.m3u8`,
      // A variant's bandwidth includes the audio it plays with.
      peakBandwidth: video.peak + audioBandwidth.peak,
      averageBandwidth: video.average + audioBandwidth.average,
      codecs: `${codecs},${hlsAudioGroup.codecs}`,
    });
  }
  const audioGroup = { groupId: hlsAudioGroup.id, name: hlsAudioGroup.name, uri: `${hlsAudioGroup.dir}/index.m3u8` };
  bytes += await ports.objects.putText(keys.hlsMaster, masterPlaylist(variants, audioGroup), playlistType);
  const top = hlsRungs[0]!;
  return {
    kind: "hls",
    objectKey: keys.hlsMaster,
    contentType: playlistType,
    sizeBytes: bytes,
    width: top.width,
    height: top.height,
    durationMs,
  };
}

/** Stills of the composite, evenly inside it, each read from the segment that holds its frame. */
async function thumbnails(
  plan: RecordingPlan,
  durationMs: number,
  keyOf: (n: number) => string,
  ws: Workspace,
  ports: CompositorPorts,
): Promise<Rendition[]> {
  const out: Rendition[] = [];
  for (const [n, atMs] of thumbnailTimes(durationMs).entries()) {
    const frame = Math.min(plan.totalFrames - 1, Math.floor((atMs / 1000) * plan.fps));
    const segment = plan.segments.find((s) => frame < s.startFrame + s.frames)!;
    const still = ws.path(`thumbnail-${n}.jpg`);
    const url = await ports.objects.readUrl(segment.key, readUrlSeconds);
    await ports.media.ffmpeg(thumbnailCommand(url, ((frame - segment.startFrame) / plan.fps) * 1000, still));
    const key = keyOf(n);
    const sizeBytes = await ports.objects.upload(key, still, "image/jpeg");
    out.push({ kind: "thumbnail", objectKey: key, contentType: "image/jpeg", sizeBytes, ...thumbnailSize, durationMs: null });
  }
  return out;
}
