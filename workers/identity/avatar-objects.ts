import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { s3ClientOf } from "../aws/s3-client.ts";
import type { Config } from "../env.ts";
import { avatarKey, type AvatarType } from "./core/profile.ts";

/** Profile pictures: the browser PUTs straight to S3 through a URL that signs the type and length it declared. */
export const avatarUploadTtlSeconds = 300;
export const avatarViewTtlSeconds = 900;

export async function presignAvatarUpload(config: Config, tenantId: string, userId: string, type: AvatarType, sizeBytes: number) {
  const key = avatarKey(tenantId, userId, crypto.randomUUID(), type);
  const command = new PutObjectCommand({ Bucket: config.S3_BUCKET, Key: key, ContentType: type, ContentLength: sizeBytes });
  const uploadUrl = await getSignedUrl(s3ClientOf(config), command, {
    expiresIn: avatarUploadTtlSeconds,
    signableHeaders: new Set(["content-type", "content-length"]),
  });
  return { avatarKey: key, uploadUrl, expiresAt: new Date(Date.now() + avatarUploadTtlSeconds * 1000).toISOString() };
}

/** Whether the upload happened (presigned HEAD, fetched here: the SDK's own transport is not what workerd runs). */
export async function avatarUploaded(config: Config, key: string): Promise<boolean> {
  const url = await getSignedUrl(s3ClientOf(config), new HeadObjectCommand({ Bucket: config.S3_BUCKET, Key: key }), { expiresIn: 60 });
  const response = await fetch(url, { method: "HEAD" });
  return response.ok;
}

export function presignAvatarView(config: Config, key: string): Promise<string> {
  const command = new GetObjectCommand({ Bucket: config.S3_BUCKET, Key: key, ResponseCacheControl: "private, max-age=600" });
  return getSignedUrl(s3ClientOf(config), command, { expiresIn: avatarViewTtlSeconds });
}
