import { createReadStream, createWriteStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  NoSuchKey,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";

/** 16 MiB parts, four in flight: a 1-hour MP4 of ~1 GB goes up in ~64 parts, and memory stays under 100 MB. */
const partSize = 16 * 1024 * 1024;
const queueSize = 4;

const isMissing = (error: unknown): boolean =>
  error instanceof NoSuchKey ||
  (error as { name?: string }).name === "NoSuchKey" ||
  (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404;

/** The recordings bucket, as the compositor uses it: manifests and tracks in, renditions out, files on local disk. */
export class RecordingObjects {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  /** The object parsed as JSON, or null when it does not exist. */
  async readJson(key: string): Promise<unknown> {
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return JSON.parse(await object.Body!.transformToString());
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  /** Writes the object (or its first `firstBytes`) to `path`; false when it does not exist. */
  async download(key: string, path: string, firstBytes?: number): Promise<boolean> {
    try {
      const range = firstBytes ? `bytes=0-${firstBytes - 1}` : undefined;
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: range }));
      await pipeline(object.Body as Readable, createWriteStream(path));
      return true;
    } catch (error) {
      if (isMissing(error) || (error as { name?: string }).name === "InvalidRange") return false;
      throw error;
    }
  }

  /** Multipart above one part (lib-storage's Upload), a single PUT below; answers the object's size. */
  async upload(key: string, path: string, contentType: string): Promise<number> {
    const { size } = await stat(path);
    await new Upload({
      client: this.client,
      partSize,
      queueSize,
      params: { Bucket: this.bucket, Key: key, Body: createReadStream(path), ContentType: contentType, ContentLength: size },
    }).done();
    return size;
  }

  /** Bytes in memory as one object, in one PUT; answers their size. */
  async putBytes(key: string, bytes: Uint8Array, contentType: string): Promise<number> {
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: bytes, ContentType: contentType }));
    return bytes.length;
  }

  /** A multipart upload whose parts the caller sends in any order (a stream's head can go last). */
  async startMultipart(key: string, contentType: string): Promise<MultipartUpload> {
    const { UploadId } = await this.client.send(
      new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ContentType: contentType }),
    );
    if (!UploadId) throw new Error(`S3 started no multipart upload for ${key}`);
    return new MultipartUpload(this.client, this.bucket, key, UploadId);
  }

  /** A small text object (a playlist, a JSON record) in one PUT; answers its size. */
  async putText(key: string, text: string, contentType: string): Promise<number> {
    const body = Buffer.from(text, "utf8");
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }));
    return body.length;
  }

  /** Whether the object exists (HEAD). */
  async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (error) {
      if (isMissing(error) || (error as { name?: string }).name === "NotFound") return false;
      throw error;
    }
  }

  /** A GET URL ffmpeg can read the object from (it seeks with Range requests), good for `seconds`. */
  async readUrl(key: string, seconds: number): Promise<string> {
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: key }), { expiresIn: seconds });
  }
}

/** One multipart upload: parts numbered from 1, at least 5 MiB each but the last; a part sent again replaces it. */
export class MultipartUpload {
  private readonly etags = new Map<number, string>();

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly key: string,
    private readonly uploadId: string,
  ) {}

  async uploadPart(partNumber: number, body: Uint8Array): Promise<void> {
    const { ETag } = await this.client.send(
      new UploadPartCommand({ Bucket: this.bucket, Key: this.key, UploadId: this.uploadId, PartNumber: partNumber, Body: body }),
    );
    if (!ETag) throw new Error(`S3 answered part ${partNumber} of ${this.key} without an ETag`);
    this.etags.set(partNumber, ETag);
  }

  /** Joins the parts sent, in part order; they must number 1..n without a hole. */
  async complete(): Promise<void> {
    const parts = [...this.etags].sort(([a], [b]) => a - b).map(([PartNumber, ETag]) => ({ PartNumber, ETag }));
    if (parts.some((p, i) => p.PartNumber !== i + 1)) throw new Error(`the parts of ${this.key} are not numbered 1..${parts.length}`);
    await this.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: this.bucket,
        Key: this.key,
        UploadId: this.uploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
  }

  /** Drops the parts sent; best effort, as it runs after a failure. */
  async abort(): Promise<void> {
    await this.client
      .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, UploadId: this.uploadId }))
      .catch(() => {});
  }
}
