import type { Config } from "../../env.ts";
import { presignAttachmentDownload, presignAttachmentUpload } from "./attachment-uploads.ts";
import type { ObjectStore, PresignedDownload, PresignedUpload, UploadRequest } from "./object-store.ts";

/** The room's ObjectStore on S3 (or an S3-compatible endpoint): presigning is local, no request leaves the room. */
export class S3ObjectStore implements ObjectStore {
  /** Config read on first use, so a misconfigured bucket fails attachment frames, not the whole room. */
  constructor(private readonly config: () => Config) {}

  presignUpload(request: UploadRequest): Promise<PresignedUpload> {
    return presignAttachmentUpload(this.config(), request);
  }

  presignDownload(objectKey: string): Promise<PresignedDownload> {
    return presignAttachmentDownload(this.config(), objectKey);
  }
}
