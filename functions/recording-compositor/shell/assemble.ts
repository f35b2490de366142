import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type ComposeRecordingEvent, type Rendition, recordingPrefix } from "../../../protocol/recording-composition.ts";
import { assemblyWaves } from "../assembly-plan.ts";
import { fanOut } from "../fan-out.ts";
import { hlsCutCommand, muxCommand, thumbnailCommand } from "../ffmpeg-command.ts";
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
  variantBandwidth,
  webmRung,
} from "../renditions.ts";
import { assemblyConcatList, type RecordingPlan } from "../segment-plan.ts";
import { encodeAudio } from "./encode-audio.ts";
import type { CompositorPorts } from "./ports.ts";
import { settleAll } from "./settle-all.ts";
import type { Workspace } from "./workspace.ts";

/**
 * The assembly, once every segment is done: it re-encodes no video, and encodes the audio once, whole, from the
 * segments' lossless pieces. The HLS ladder's media segments are already in
 * place (the segment invocations cut them), so HLS is the audio cut once into its own rendition plus playlists
 * written from the segments' records. The MP4 and the WebM are joined by copying, their segments read straight
 * from S3, side by side when the disk holds both outputs. All three run at once.
 */

const transfers = 8;
/** How long the segments' read URLs last: longer than any join (a 4-hour one takes minutes). */
const readUrlSeconds = 3600;
const playlistType = "application/vnd.apple.mpegurl";

export async function assemble(
  event: ComposeRecordingEvent,
  plan: RecordingPlan,
  ws: Workspace,
  ports: CompositorPorts,
): Promise<Rendition[]> {
  const durationSeconds = plan.totalFrames / plan.fps;
  const durationMs = Math.round(durationSeconds * 1000);
  const keys = outputKeys(event.tenantId, event.recordingId);
  const records = await readMediaRecords(plan, ports);
  const audio = await encodeAudio(plan, records, ws, ports);
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);

  const joinFile = async (kind: "mp4" | "webm"): Promise<Rendition[]> => {
    const rung = kind === "mp4" ? null : webmRung;
    const urls = await Promise.all(
      plan.segments.map((s) => ports.objects.readUrl(rung ? segmentRenditionKey(s, rung) : s.key, readUrlSeconds)),
    );
    const list = ws.path(`${kind}.ffconcat`);
    await writeFile(
      list,
      assemblyConcatList(plan, (s) => urls[s.index]!),
    );
    const output = ws.path(`composite.${kind}`);
    await ports.media.ffmpeg(
      muxCommand({ concatListPath: list, audioPath: kind === "mp4" ? audio.aac : audio.opus, outputPath: output, durationSeconds }),
    );
    const contentType = `video/${kind}`;
    const [sizeBytes, stills] = await Promise.all([
      ports.objects.upload(kind === "mp4" ? keys.mp4 : keys.webm, output, contentType),
      kind === "mp4" ? thumbnails(output, durationMs, keys.thumbnail, ws, ports) : Promise.resolve([]),
    ]);
    await ws.remove(output);
    ports.log({ event: "assembled", recordingId: event.recordingId, kind, bytes: sizeBytes, ms: ms() });
    const size = rung ? { width: rung.width, height: rung.height } : { width: 1920, height: 1080 };
    return [{ kind, objectKey: kind === "mp4" ? keys.mp4 : keys.webm, contentType, sizeBytes, ...size, durationMs }, ...stills];
  };

  const files = async (): Promise<Rendition[]> => {
    const estimates = (["mp4", "webm"] as const).map((kind) => ({
      kind,
      estimatedBytes: records.reduce((sum, r) => sum + r.fileBytes[kind], 0),
    }));
    const out: Rendition[] = [];
    for (const wave of assemblyWaves(estimates)) out.push(...(await settleAll(wave.map(joinFile))).flat());
    return out;
  };

  const hls = async (): Promise<Rendition> => {
    const rendition = await writeHls(plan, records, audio.aac, keys, durationMs, ws, ports);
    ports.log({ event: "assembled", recordingId: event.recordingId, kind: "hls", bytes: rendition.sizeBytes, ms: ms() });
    return rendition;
  };

  const [fileRenditions, hlsRendition] = await settleAll<Rendition[] | Rendition>([files(), hls()]);
  const renditions = [hlsRendition as Rendition, ...(fileRenditions as Rendition[])];
  // Every key is the recording's: deleting the recording's prefix deletes all of it.
  const prefix = recordingPrefix(event.tenantId, event.recordingId);
  if (renditions.some((r) => !r.objectKey.startsWith(prefix))) throw new Error("a rendition key is outside the recording's prefix");
  return renditions;
}

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

/** Stills of the joined MP4, evenly inside it. */
async function thumbnails(
  mp4: string,
  durationMs: number,
  keyOf: (n: number) => string,
  ws: Workspace,
  ports: CompositorPorts,
): Promise<Rendition[]> {
  const out: Rendition[] = [];
  for (const [n, atMs] of thumbnailTimes(durationMs).entries()) {
    const still = ws.path(`thumbnail-${n}.jpg`);
    await ports.media.ffmpeg(thumbnailCommand(mp4, atMs, still));
    const key = keyOf(n);
    const sizeBytes = await ports.objects.upload(key, still, "image/jpeg");
    out.push({ kind: "thumbnail", objectKey: key, contentType: "image/jpeg", sizeBytes, ...thumbnailSize, durationMs: null });
  }
  return out;
}
