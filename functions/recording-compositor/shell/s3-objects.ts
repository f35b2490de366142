import { createReadStream, createWriteStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
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

  /** A small text object (a playlist, a JSON record) in one PUT; answers its size. */
  async putText(key: string, text: string, contentType: string): Promise<number> {
    const body = Buffer.from(text, "utf8");
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }));
    return body.length;
  }

  /** A GET URL ffmpeg can read the object from (it seeks with Range requests), good for `seconds`. */
  async readUrl(key: string, seconds: number): Promise<string> {
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: key }), { expiresIn: seconds });
  }
}
