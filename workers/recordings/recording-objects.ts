import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { s3ClientOf } from "../aws/s3-client.ts";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { Config } from "../env.ts";
import { parseObjectListing } from "../usage/s3-listing.ts";

/**
 * A recording's objects in S3 (the recorder's chunks and manifest, the compositor's outputs), all under its
 * prefix. Requests are presigned and fetched by the Worker itself: the SDK cannot read XML answers in workerd.
 */
export const playbackUrlTtlSeconds = 900;

export const recordingBucket = (config: Config) => config.RECORDING_BUCKET ?? config.S3_BUCKET;

/** A short-lived GET for one object; `download` names the file for a browser save instead of inline playback. */
export async function presignRecordingObject(config: Config, key: string, options: { download?: string } = {}): Promise<string> {
  const command = new GetObjectCommand({
    Bucket: recordingBucket(config),
    Key: key,
    ResponseCacheControl: "private, max-age=300",
    ...(options.download ? { ResponseContentDisposition: `attachment; filename="${options.download}"` } : {}),
  });
  return getSignedUrl(s3ClientOf(config), command, { expiresIn: playbackUrlTtlSeconds });
}

/** An object's text (a playlist), or undefined when it does not exist. */
export async function readRecordingText(config: Config, key: string): Promise<string | undefined> {
  const response = await fetch(await presignRecordingObject(config, key));
  if (response.status === 404) {
    await response.body?.cancel();
    return undefined;
  }
  if (!response.ok) throw new Error(`object store answered ${response.status} for a recording object`);
  return response.text();
}

/** Deletes every object under the prefix; returns how many. Idempotent: a repeat finds nothing left. */
export async function deleteRecordingObjects(config: Config, prefix: string): Promise<number> {
  const s3 = s3ClientOf(config);
  const bucket = recordingBucket(config);
  let deleted = 0;
  for (let round = 0; round < 1000; round++) {
    const listing = await fetch(
      await getSignedUrl(s3, new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: 1000 }), { expiresIn: 60 }),
    );
    if (!listing.ok) throw new Error(`object store listing answered ${listing.status}`);
    const page = parseObjectListing(await listing.text());
    if (!page.objects.length) return deleted;
    // At most 6 connections per invocation on Workers: delete in small parallel groups.
    for (let i = 0; i < page.objects.length; i += 6) {
      await Promise.all(
        page.objects.slice(i, i + 6).map(async (object) => {
          const url = await getSignedUrl(s3, new DeleteObjectCommand({ Bucket: bucket, Key: object.key }), { expiresIn: 60 });
          const response = await fetch(url, { method: "DELETE" });
          await response.body?.cancel();
          if (!response.ok && response.status !== 404) throw new Error(`object store delete answered ${response.status}`);
        }),
      );
    }
    deleted += page.objects.length;
  }
  return deleted;
}
