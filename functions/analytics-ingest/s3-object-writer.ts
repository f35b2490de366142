import type { S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import type { ObjectWriter } from "./ingest.ts";

/** Parquet objects into the analytics bucket; `Upload` sends a single PUT below its part size and multipart above it. */
export class S3ObjectWriter implements ObjectWriter {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async put(key: string, body: Uint8Array): Promise<void> {
    await new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body: body, ContentType: "application/vnd.apache.parquet" },
    }).done();
  }
}
