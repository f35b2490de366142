import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface ProbedStream {
  codec_type: string;
  codec_name: string;
  width?: number;
  height?: number;
  profile?: string;
  level?: number;
}

export interface Probe {
  streams: ProbedStream[];
  durationSeconds: number | null;
}

/** ffmpeg and ffprobe as processes: the system's locally, the bundled static build in Lambda (FFMPEG_PATH). */
export class Media {
  constructor(
    private readonly ffmpegPath: string,
    private readonly ffprobePath: string,
  ) {}

  /** Runs ffmpeg; a failure carries ffmpeg's own last lines (its errors), not the whole log. */
  async ffmpeg(argv: readonly string[]): Promise<void> {
    try {
      await run(this.ffmpegPath, [...argv], { maxBuffer: 16 * 1024 * 1024 });
    } catch (error) {
      const stderr = String((error as { stderr?: string }).stderr ?? "").trim();
      throw new Error(`ffmpeg failed: ${stderr.split("\n").slice(-3).join(" | ") || (error as Error).message}`);
    }
  }

  /** Streams and duration; throws with ffprobe's message when the file is unreadable. */
  async probe(path: string, demuxer?: string): Promise<Probe> {
    const args = ["-v", "error", ...(demuxer ? ["-f", demuxer] : []), "-show_entries"];
    args.push("stream=codec_type,codec_name,width,height,profile,level:format=duration", "-of", "json", path);
    try {
      const { stdout } = await run(this.ffprobePath, args, { maxBuffer: 4 * 1024 * 1024 });
      const parsed = JSON.parse(stdout) as { streams?: ProbedStream[]; format?: { duration?: string } };
      const duration = Number(parsed.format?.duration);
      return { streams: parsed.streams ?? [], durationSeconds: Number.isFinite(duration) ? duration : null };
    } catch (error) {
      const stderr = String((error as { stderr?: string }).stderr ?? "").trim();
      throw new Error(stderr.split("\n").slice(-2).join(" | ") || (error as Error).message);
    }
  }
}
