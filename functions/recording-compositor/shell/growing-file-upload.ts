import { createHash } from "node:crypto";
import { type FileHandle, open, stat } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { fanOut } from "../fan-out.ts";
import type { MultipartUpload, RecordingObjects } from "./s3-objects.ts";

/** Part k covers bytes [(k − 1) × partBytes, k × partBytes): 16 MiB, as for every multipart upload here. */
const partBytes = 16 * 1024 * 1024;
/** A part goes up only once the file has grown this far past it: a muxer patches recent bytes (a cluster's size). */
const settleBytes = 16 * 1024 * 1024;
const pollMs = 250;
const partsInFlight = 4;

/**
 * Uploads a file while a muxer is still writing it, so the upload ends soon after the muxer does. A muxer given a
 * seekable file goes back at the end to fill in its header (a WebM's duration, segment size and the cue index's
 * place), so the first part waits for the end; each part sent early is checked against the finished file by its
 * MD5 and sent again if it changed. A file of one part is one PUT. Answers the file's size.
 */
export async function uploadGrowingFile(
  path: string,
  key: string,
  contentType: string,
  writerDone: Promise<void>,
  objects: RecordingObjects,
): Promise<number> {
  let finished = false;
  let writerFailure: unknown = null;
  const done = writerDone.then(
    () => {
      finished = true;
    },
    (error: unknown) => {
      finished = true;
      writerFailure = error;
    },
  );
  let upload: MultipartUpload | null = null;
  const sentDigests = new Map<number, string>();
  let file: FileHandle | null = null;
  const readPart = async (partNumber: number, size: number): Promise<Buffer> => {
    file ??= await open(path, "r");
    const start = (partNumber - 1) * partBytes;
    const length = Math.min(partBytes, size - start);
    const bytes = Buffer.alloc(length);
    const { bytesRead } = await file.read(bytes, 0, length, start);
    if (bytesRead !== length) throw new Error(`read ${bytesRead} of ${length} bytes of part ${partNumber} of ${path}`);
    return bytes;
  };
  const digest = (bytes: Uint8Array) => createHash("md5").update(bytes).digest("base64");
  const sendPart = async (partNumber: number, bytes: Buffer) => {
    upload ??= await objects.startMultipart(key, contentType);
    await upload.uploadPart(partNumber, bytes);
    sentDigests.set(partNumber, digest(bytes));
  };

  try {
    let nextPart = 2;
    while (!finished) {
      const size = await stat(path).then(
        (s) => s.size,
        () => 0,
      );
      if (size >= nextPart * partBytes + settleBytes) await sendPart(nextPart, await readPart(nextPart++, size));
      else await Promise.race([sleep(pollMs), done]);
    }
    if (writerFailure) throw writerFailure;
    const { size } = await stat(path);
    const parts = Math.max(1, Math.ceil(size / partBytes));
    if (parts === 1) return await objects.putBytes(key, await readPart(1, size), contentType);
    upload ??= await objects.startMultipart(key, contentType);
    // The rest, and any part the muxer changed after it went up, with the first (the header) among them.
    const numbers = Array.from({ length: parts }, (_, i) => i + 1);
    const sent = await fanOut(numbers, { concurrency: partsInFlight, attempts: 2 }, async (k) => {
      const bytes = await readPart(k, size);
      if (sentDigests.get(k) !== digest(bytes)) await sendPart(k, bytes);
    });
    const failed = sent.find((p) => !p.ok);
    if (failed) throw new Error(`part ${failed.item} of ${key}: ${failed.failures.at(-1)}`);
    await (upload as MultipartUpload).complete();
    return size;
  } catch (error) {
    await (upload as MultipartUpload | null)?.abort();
    throw error;
  } finally {
    await (file as FileHandle | null)?.close();
  }
}
