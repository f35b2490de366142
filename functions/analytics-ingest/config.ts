import { z } from "zod";

/**
 * The function's environment, checked once per container. A bad value is reported by its name, never its value
 * (DATABASE_URL holds a password). AWS credentials are not read here: the SDK's default chain finds them (the
 * execution role in Lambda, the variables locally).
 */
const Env = z.object({
  /** Postgres over TCP (Neon: the pooled endpoint). */
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }),
  ANALYTICS_BUCKET: z.string().min(3).max(63),
  /** Unset for AWS S3; the local S3-compatible server otherwise. */
  S3_ENDPOINT: z.url().optional(),
  S3_REGION: z.string().min(1).default("us-east-1"),
  S3_FORCE_PATH_STYLE: z.enum(["true", "false"]).default("false"),
});

export interface IngestConfig {
  databaseUrl: string;
  bucket: string;
  s3: { endpoint: string | undefined; region: string; forcePathStyle: boolean };
}

export function readConfig(env: Record<string, string | undefined>): IngestConfig {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const names = [...new Set(parsed.error.issues.map((issue) => String(issue.path[0])))];
    throw new Error(`analytics-ingest: invalid or missing environment variables: ${names.join(", ")}`);
  }
  const e = parsed.data;
  return {
    databaseUrl: e.DATABASE_URL,
    bucket: e.ANALYTICS_BUCKET,
    s3: { endpoint: e.S3_ENDPOINT, region: e.S3_REGION, forcePathStyle: e.S3_FORCE_PATH_STYLE === "true" },
  };
}
