import { S3Client } from "@aws-sdk/client-s3";
import type { Config } from "../env.ts";

/**
 * The Worker's S3 client: the deployment's bucket endpoint (path-style for an S3-compatible server) and keys.
 * Checksums only when an operation requires one: otherwise a presigned upload URL pins the checksum of an empty
 * body and real S3 refuses the browser's upload.
 */
export function s3ClientOf(config: Config, options: { maxAttempts?: number } = {}): S3Client {
  return new S3Client({
    region: config.S3_REGION,
    ...(config.S3_ENDPOINT ? { endpoint: config.S3_ENDPOINT, forcePathStyle: true } : {}),
    credentials: { accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY },
    requestChecksumCalculation: "WHEN_REQUIRED",
    ...options,
  });
}
