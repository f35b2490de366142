import { z } from "zod";

/**
 * The compositor's environment, checked once per container; a bad value is reported by its name, never its value
 * (DATABASE_URL and RECORDING_REPORT_SECRET hold secrets). AWS credentials come from the SDK's default chain.
 */
const Env = z.object({
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }),
  RECORDING_BUCKET: z.string().min(3).max(63),
  S3_ENDPOINT: z.url().optional(),
  S3_REGION: z.string().min(1).default("us-east-1"),
  S3_FORCE_PATH_STYLE: z.enum(["true", "false"]).default("false"),
  /** The function segments are sent to: this function itself in AWS (AWS_LAMBDA_FUNCTION_NAME). */
  AWS_LAMBDA_FUNCTION_NAME: z.string().min(1),
  SEGMENT_FUNCTION_NAME: z.string().min(1).optional(),
  /**
   * Invoke API endpoints for segments, comma-separated. Unset in AWS (the regional endpoint, which scales out);
   * locally the function's other emulators, one per concurrent segment.
   */
  SEGMENT_INVOKE_ENDPOINTS: z.string().optional(),
  SEGMENT_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(100),
  /** Tries per segment within one compose invocation (the first included). */
  SEGMENT_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
  SEGMENT_SECONDS: z.coerce.number().min(0.5).max(600).default(60),
  RECORDING_REPORT_URL: z.url(),
  RECORDING_REPORT_SECRET: z.string().min(32),
  FFMPEG_PATH: z.string().min(1).default("ffmpeg"),
  FFPROBE_PATH: z.string().min(1).default("ffprobe"),
  /** Draws names on tiles when set (drawtext needs a font file). */
  FONT_FILE: z.string().min(1).optional(),
  /** Scratch space (Lambda's ephemeral storage). */
  WORK_DIR: z.string().min(1).default("/tmp"),
});

export interface CompositorConfig {
  databaseUrl: string;
  bucket: string;
  s3: { endpoint: string | undefined; region: string; forcePathStyle: boolean };
  segments: {
    functionName: string;
    endpoints: string[];
    concurrency: number;
    attempts: number;
    seconds: number;
  };
  report: { url: string; secret: string };
  ffmpegPath: string;
  ffprobePath: string;
  fontFile: string | null;
  workDir: string;
}

export function readConfig(env: Record<string, string | undefined>): CompositorConfig {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const names = [...new Set(parsed.error.issues.map((issue) => String(issue.path[0])))];
    throw new Error(`recording-compositor: invalid or missing environment variables: ${names.join(", ")}`);
  }
  const e = parsed.data;
  const endpoints = (e.SEGMENT_INVOKE_ENDPOINTS ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  return {
    databaseUrl: e.DATABASE_URL,
    bucket: e.RECORDING_BUCKET,
    s3: { endpoint: e.S3_ENDPOINT, region: e.S3_REGION, forcePathStyle: e.S3_FORCE_PATH_STYLE === "true" },
    segments: {
      functionName: e.SEGMENT_FUNCTION_NAME ?? e.AWS_LAMBDA_FUNCTION_NAME,
      endpoints,
      // Locally each endpoint is one execution environment: no more segments at once than there are of them.
      concurrency: endpoints.length ? Math.min(e.SEGMENT_CONCURRENCY, endpoints.length) : e.SEGMENT_CONCURRENCY,
      attempts: e.SEGMENT_ATTEMPTS,
      seconds: e.SEGMENT_SECONDS,
    },
    report: { url: e.RECORDING_REPORT_URL, secret: e.RECORDING_REPORT_SECRET },
    ffmpegPath: e.FFMPEG_PATH,
    ffprobePath: e.FFPROBE_PATH,
    fontFile: e.FONT_FILE ?? null,
    workDir: e.WORK_DIR,
  };
}
