import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { s3ClientOf } from "../../aws/s3-client.ts";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { Config } from "../../env.ts";
import { attachmentObjectKey } from "../core/attachment-keys.ts";
import type { UploadRequest } from "./object-store.ts";

/** Presigned uploads for chat attachments: the browser PUTs straight to S3, the room never proxies bytes. */

export const uploadUrlTtlSeconds = 600;

export const downloadUrlTtlSeconds = 300;

export async function presignAttachmentUpload(config: Config, request: UploadRequest, now = new Date()) {
  const s3 = s3ClientOf(config);
  const objectKey = attachmentObjectKey(request, crypto.randomUUID(), request.name);
  // Type and length are signed: the upload must be exactly what the room validated.
  const command = new PutObjectCommand({
    Bucket: config.S3_BUCKET,
    Key: objectKey,
    ContentType: request.contentType,
    ContentLength: request.sizeBytes,
  });
  const uploadUrl = await getSignedUrl(s3, command, {
    expiresIn: uploadUrlTtlSeconds,
    signableHeaders: new Set(["content-type", "content-length"]),
  });
  return { objectKey, uploadUrl, expiresAt: new Date(now.getTime() + uploadUrlTtlSeconds * 1000).toISOString() };
}

/**
 * A short-lived GET for an attachment of the caller's meeting. Served as a download (never rendered inline
 * from the bucket's origin) so an uploaded HTML or SVG file can't run script there.
 */
export async function presignAttachmentDownload(config: Config, objectKey: string, now = new Date()) {
  const fileName = objectKey.split("/").at(-1) ?? "file";
  const command = new GetObjectCommand({
    Bucket: config.S3_BUCKET,
    Key: objectKey,
    ResponseContentDisposition: `attachment; filename="${fileName}"`,
    ResponseCacheControl: "private, no-store",
  });
  const downloadUrl = await getSignedUrl(s3ClientOf(config), command, { expiresIn: downloadUrlTtlSeconds });
  return { objectKey, downloadUrl, expiresAt: new Date(now.getTime() + downloadUrlTtlSeconds * 1000).toISOString() };
}
