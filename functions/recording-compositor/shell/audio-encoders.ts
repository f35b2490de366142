import { PassThrough } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { segmentAudioKey } from "../audio-plan.ts";
import { fanOut } from "../fan-out.ts";
import { aacEncodeCommand, opusEncodeCommand } from "../ffmpeg-command.ts";
import type { RecordingPlan } from "../segment-plan.ts";
import type { FfmpegRun } from "./media.ts";
import type { CompositorPorts } from "./ports.ts";
import { settleAll } from "./settle-all.ts";
import type { Workspace } from "./workspace.ts";
import { writePieceList } from "./audio-pieces.ts";

/** How often the pieces are looked for while the segments run. */
const pollMs = 500;

/** One encoder's output, held in memory until its join starts (4 hours of AAC is ~170 MB; of Opus, ~115 MB). */
export interface EncodedStream {
  run: FfmpegRun;
  output: PassThrough;
}

export interface AudioEncoders {
  aac: EncodedStream;
  /** The same AAC as an audio-only MP4, for the HLS audio rendition; complete once `aac.run.exited` settles. */
  aacPath: string;
  opus: EncodedStream;
  stop: () => Promise<void>;
}

/**
 * The recording's audio encoded once, whole, per codec, started as soon as every segment has uploaded its piece
 * (each does so right after its mix, seconds in, long before its video is done), so the encodes run while the
 * segments still composite instead of after them. Their output waits in memory for the joins. Gives up (throws)
 * if `signal` aborts first: the segments failed.
 */
export async function startAudioEncoders(
  plan: RecordingPlan,
  urlSeconds: number,
  ws: Workspace,
  ports: CompositorPorts,
  signal: AbortSignal,
): Promise<AudioEncoders> {
  let missing = plan.segments.map(segmentAudioKey);
  for (;;) {
    const found = await fanOut(missing, { concurrency: 16, attempts: 2 }, (key) => ports.objects.exists(key));
    missing = found.filter((f) => f.value !== true).map((f) => f.item);
    signal.throwIfAborted();
    if (missing.length === 0) break;
    await sleep(pollMs);
  }
  const audioListPath = await writePieceList(plan, urlSeconds, ws, ports);
  const aacPath = ws.path("audio.m4a");
  const buffered = (argv: string[]): EncodedStream => {
    const run = ports.media.ffmpegStream(argv, { stdout: "pipe" });
    // No backpressure until the join reads: the encoder runs at its own pace meanwhile.
    const output = new PassThrough({ highWaterMark: 1 << 30 });
    run.stdout!.pipe(output);
    return { run, output };
  };
  const aac = buffered(aacEncodeCommand({ audioListPath, aacPath }));
  const opus = buffered(opusEncodeCommand({ audioListPath }));
  ports.log({ event: "audio_encoders_started", pieces: plan.segments.length });
  const stop = async () => {
    aac.run.stop();
    opus.run.stop();
    await settleAll([aac.run.exited, opus.run.exited]).catch(() => {});
  };
  return { aac, aacPath, opus, stop };
}
