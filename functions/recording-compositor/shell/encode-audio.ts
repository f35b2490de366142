import { writeFile } from "node:fs/promises";
import { fanOut } from "../fan-out.ts";
import { audioEncodeCommands } from "../ffmpeg-command.ts";
import type { SegmentMedia } from "../hls-media.ts";
import { assemblyConcatList, type RecordingPlan } from "../segment-plan.ts";
import { segmentAudioKey } from "../audio-plan.ts";
import type { CompositorPorts } from "./ports.ts";
import { settleAll } from "./settle-all.ts";
import type { Workspace } from "./workspace.ts";

export interface EncodedAudio {
  /** AAC in MP4: the MP4's audio and, cut into media segments, the HLS audio rendition. */
  aac: string;
  /** Opus in Ogg: the WebM's audio. */
  opus: string;
}

/**
 * The recording's audio encoded once, whole: the segments' lossless pieces joined sample-exactly (the concat
 * demuxer) and encoded as AAC and as Opus by two processes at once. A piece whose record is missing, names another
 * key or another length is refused: the audio would drift from the video after it.
 */
export async function encodeAudio(
  plan: RecordingPlan,
  records: readonly SegmentMedia[],
  ws: Workspace,
  ports: CompositorPorts,
): Promise<EncodedAudio> {
  plan.segments.forEach((segment, i) => {
    const audio = records[i]?.audio;
    if (audio?.key !== segmentAudioKey(segment) || audio.samples !== segment.audio.samples)
      throw new Error(
        `segment ${segment.index} recorded no audio piece of ${segment.audio.samples} samples at ${segmentAudioKey(segment)}`,
      );
  });
  const started = performance.now();
  const fetched = await fanOut(plan.segments, { concurrency: 8, attempts: 2 }, async (segment) => {
    const key = segmentAudioKey(segment);
    if (!(await ports.objects.download(key, ws.inputPath(key)))) throw new Error(`the audio piece ${key} is missing`);
  });
  const missing = fetched.find((f) => !f.ok);
  if (missing) throw new Error(missing.failures.at(-1));
  const list = ws.path("audio.ffconcat");
  await writeFile(
    list,
    assemblyConcatList(plan, (s) => ws.inputPath(segmentAudioKey(s))),
  );
  const audio = { aac: ws.path("audio.m4a"), opus: ws.path("audio.ogg") };
  const commands = audioEncodeCommands({ concatListPath: list, aacPath: audio.aac, opusPath: audio.opus });
  // Each encoder is single-threaded: the two at once take as long as the slower one.
  await settleAll([ports.media.ffmpeg(commands.aac), ports.media.ffmpeg(commands.opus)]);
  await Promise.all(plan.segments.map((s) => ws.remove(ws.inputPath(segmentAudioKey(s)))));
  ports.log({ event: "audio_encoded", pieces: plan.segments.length, ms: Math.round(performance.now() - started) });
  return audio;
}
