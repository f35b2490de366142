import { execFile, spawn } from "node:child_process";
import type { Readable } from "node:stream";
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

export interface FfmpegRun {
  /** Null when the run's stdout was ignored. */
  stdout: Readable | null;
  exited: Promise<void>;
  stop: () => void;
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

  /**
   * Runs ffmpeg with its stdout as a stream for the caller to drain (a muxer writing to `pipe:1`), or ignored, and
   * `stdin` (another ffmpeg's output) piped in; `exited` settles when it exits (a failure carries ffmpeg's last
   * lines). `stop` kills it, for a caller that gave up.
   */
  ffmpegStream(argv: readonly string[], io: { stdin?: Readable; stdout: "pipe" | "ignore" }): FfmpegRun {
    const child = spawn(this.ffmpegPath, [...argv], { stdio: [io.stdin ? "pipe" : "ignore", io.stdout, "pipe"] });
    let stderr = "";
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (text: string) => {
      stderr = (stderr + text).slice(-8192);
    });
    if (io.stdin && child.stdin) {
      // A reader that exits early (it failed) closes the pipe; its own exit carries the reason.
      child.stdin.on("error", () => {});
      io.stdin.pipe(child.stdin);
    }
    const exited = new Promise<void>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", (code, signal) => {
        if (code === 0) resolve();
        else reject(new Error(`ffmpeg failed: ${stderr.trim().split("\n").slice(-3).join(" | ") || `exit ${code ?? signal}`}`));
      });
    });
    exited.catch(() => {});
    return { stdout: child.stdout, exited, stop: () => child.kill("SIGKILL") };
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
