import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { Config } from "../env.ts";

/** Presigned uploads for chat attachments: the browser PUTs straight to S3, the room never proxies bytes. */
export interface UploadRequest {
  tenantId: string;
  meetingId: string;
  name: string;
  contentType: string;
  sizeBytes: number;
}

export const uploadUrlTtlSeconds = 600;

/** Object keys are namespaced by tenant and meeting, and never contain the client's file name unescaped. */
export function attachmentObjectKey(request: UploadRequest, id: string): string {
  const safeName = request.name.replace(/[^\w.-]+/g, "_").slice(0, 100) || "file";
  return `${request.tenantId}/${request.meetingId}/attachments/${id}/${safeName}`;
}

export async function presignAttachmentUpload(config: Config, request: UploadRequest, now = new Date()) {
  const s3 = new S3Client({
    region: config.S3_REGION,
    ...(config.S3_ENDPOINT ? { endpoint: config.S3_ENDPOINT, forcePathStyle: true } : {}),
    credentials: { accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY },
    // Otherwise the URL pins the checksum of an empty body and real S3 refuses the browser's upload.
    requestChecksumCalculation: "WHEN_REQUIRED",
  });
  const objectKey = attachmentObjectKey(request, crypto.randomUUID());
  // Type and length are signed: the upload must be exactly what the room validated.
  const command = new PutObjectCommand({ Bucket: config.S3_BUCKET, Key: objectKey, ContentType: request.contentType, ContentLength: request.sizeBytes });
  const uploadUrl = await getSignedUrl(s3, command, { expiresIn: uploadUrlTtlSeconds, signableHeaders: new Set(["content-type", "content-length"]) });
  return { objectKey, uploadUrl, expiresAt: new Date(now.getTime() + uploadUrlTtlSeconds * 1000).toISOString() };
}
