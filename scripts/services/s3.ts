import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {
  BucketAlreadyOwnedByYou,
  CreateBucketCommand,
  HeadBucketCommand,
  PutBucketCorsCommand,
  S3Client,
  type CORSRule,
} from "@aws-sdk/client-s3";
import { runningPid, startDaemon, stopDaemon, tcpReachable, waitUntil } from "../lib/daemon.ts";
import { host, ports, recordingsBucket, s3Bucket, type LocalSecrets } from "../lib/local-config.ts";
import { binDir, dataDir, repoRoot } from "../lib/paths.ts";
import type { LocalService } from "./local-service.ts";

const name = "s3";
const binary = path.join(binDir, "versitygw");
/** Each directory under the posix root is a bucket; object metadata lives in xattrs on the files. */
const storageDir = path.join(dataDir, "s3");
const healthPath = "/health";
export const s3Region = "us-east-1";
export const s3Endpoint = `http://${host}:${ports.s3}`;

/** The Worker's page uploads straight to the bucket with presigned URLs, so its origins need CORS. */
const workerOrigins = [`http://${host}:${ports.worker}`, `http://localhost:${ports.worker}`];
const corsRules: CORSRule[] = [
  {
    AllowedOrigins: workerOrigins,
    AllowedMethods: ["GET", "HEAD", "PUT"],
    AllowedHeaders: ["*"],
    // Browsers hide response headers unless exposed; multipart completion needs each part's ETag.
    ExposeHeaders: ["ETag"],
    MaxAgeSeconds: 600,
  },
];

/** Root-account client for the local gateway; path-style because bucket subdomains of 127.0.0.1 don't resolve. */
export function localS3Client(secrets: LocalSecrets): S3Client {
  return new S3Client({
    endpoint: s3Endpoint,
    region: s3Region,
    forcePathStyle: true,
    credentials: { accessKeyId: secrets.s3AccessKey, secretAccessKey: secrets.s3SecretKey },
    // Otherwise presigned PUT URLs carry the CRC32 of an empty body, which real S3 rejects once the browser
    // sends bytes (versitygw ignores it, so only this setting keeps local and cloud behaviour the same).
    requestChecksumCalculation: "WHEN_REQUIRED",
  });
}

function ensureBinary() {
  if (fs.existsSync(binary)) return;
  const build = spawnSync("bash", [path.join(repoRoot, "scripts/build-versitygw.sh")], { stdio: "inherit" });
  if (build.status !== 0 || !fs.existsSync(binary)) throw new Error("building versitygw failed (see output above)");
}

async function healthy(): Promise<boolean> {
  const response = await fetch(`${s3Endpoint}${healthPath}`, { signal: AbortSignal.timeout(1000) });
  return response.ok;
}

/** Creates the bucket unless it exists (other services' buckets too, such as a local Lambda's). */
export async function ensureBucketExists(client: S3Client, bucket: string) {
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (error) {
    if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 404) throw error;
    try {
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
    } catch (createError) {
      // A concurrent `up` may have won the race; the bucket exists either way.
      if (!(createError instanceof BucketAlreadyOwnedByYou)) throw createError;
    }
  }
}

async function ensureBucket(client: S3Client) {
  // The recordings bucket too: the page's HLS player fetches a recording's presigned segments from it.
  for (const bucket of [s3Bucket, recordingsBucket]) {
    await ensureBucketExists(client, bucket);
    // PutBucketCors replaces the whole configuration, so re-applying it is idempotent and heals drift.
    await client.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: { CORSRules: corsRules } }));
  }
}

export const s3Service: LocalService = {
  name,
  async up(secrets) {
    ensureBinary();
    if (!runningPid(name) && (await tcpReachable(ports.s3))) {
      throw new Error(`port ${ports.s3} is taken by a process this checkout did not start`);
    }
    fs.mkdirSync(storageDir, { recursive: true });
    startDaemon({
      name,
      command: binary,
      args: ["--port", `${host}:${ports.s3}`, "--region", s3Region, "--health", healthPath, "posix", storageDir],
      // versitygw reads the root credentials from the environment, which keeps them out of `ps`.
      env: { ROOT_ACCESS_KEY_ID: secrets.s3AccessKey, ROOT_SECRET_ACCESS_KEY: secrets.s3SecretKey },
    });
    await waitUntil(name, healthy);
    const client = localS3Client(secrets);
    try {
      await ensureBucket(client);
    } finally {
      client.destroy();
    }
    return `${s3Endpoint} (versitygw, bucket ${s3Bucket}, data in ${path.relative(repoRoot, storageDir)})`;
  },
  async down() {
    await stopDaemon(name);
  },
};
