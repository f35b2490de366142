/**
 * Where chat attachments live. The room only hands out short-lived presigned URLs: browsers move the bytes
 * straight to and from the store, never through the room. The S3 implementation is s3-object-store.ts.
 */
export interface UploadRequest {
  tenantId: string;
  meetingId: string;
  name: string;
  contentType: string;
  sizeBytes: number;
}

export interface PresignedUpload {
  objectKey: string;
  uploadUrl: string;
  expiresAt: string;
}

export interface PresignedDownload {
  objectKey: string;
  downloadUrl: string;
  expiresAt: string;
}

export interface ObjectStore {
  /** A PUT URL for a new object under the meeting's prefix, signed for exactly this type and size. */
  presignUpload(request: UploadRequest): Promise<PresignedUpload>;
  /** A GET URL that downloads (never renders) an object. */
  presignDownload(objectKey: string): Promise<PresignedDownload>;
}
