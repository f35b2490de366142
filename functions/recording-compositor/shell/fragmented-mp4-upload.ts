import { FragmentedMp4Follower } from "../fragmented-mp4.ts";
import type { MultipartUpload, RecordingObjects } from "./s3-objects.ts";

/** 16 MiB parts, four in flight: memory stays under ~100 MB whatever the length, and the upload keeps up. */
const partBytes = 16 * 1024 * 1024;
const partsInFlight = 4;
/** The first part is sent last (it starts with the head, known only at the end); S3 wants ≥ 5 MiB for it. */
const firstPartBytes = 8 * 1024 * 1024;

/**
 * Uploads a fragmented MP4 as ffmpeg streams it: the fragments go up in parts as they come, while the first part
 * (the head and the first fragments) waits for the end, when the follower has the duration and the fragment index
 * to put in the head. A short file is one PUT. Reading pauses while four parts are in flight, so a slow upload
 * holds ffmpeg back rather than filling memory. Nothing is completed before `writerDone` settles: a muxer that
 * failed may have ended its stream on a box boundary. Answers the object's size.
 */
export async function uploadFragmentedMp4(
  source: AsyncIterable<Uint8Array>,
  writerDone: Promise<void>,
  key: string,
  objects: RecordingObjects,
): Promise<number> {
  const follower = new FragmentedMp4Follower();
  let streamed = 0;
  let headLength: number | null = null;
  const early: Uint8Array[] = [];
  const first: Uint8Array[] = [];
  let firstLength = 0;
  let current: Uint8Array[] = [];
  let currentLength = 0;
  let upload: MultipartUpload | null = null;
  let nextPart = 2;
  const inFlight = new Set<Promise<void>>();
  let failure: unknown = null;

  const send = async (bytes: Uint8Array) => {
    upload ??= await objects.startMultipart(key, "video/mp4");
    const partNumber = nextPart++;
    const sending = upload.uploadPart(partNumber, bytes).catch((error: unknown) => {
      failure ??= error;
    });
    inFlight.add(sending);
    void sending.finally(() => inFlight.delete(sending));
    while (inFlight.size >= partsInFlight) await Promise.race(inFlight);
    if (failure) throw failure;
  };

  const take = async (bytes: Uint8Array) => {
    if (firstLength < firstPartBytes) {
      const n = Math.min(bytes.length, firstPartBytes - firstLength);
      first.push(bytes.subarray(0, n));
      firstLength += n;
      bytes = bytes.subarray(n);
    }
    while (bytes.length > 0) {
      const n = Math.min(bytes.length, partBytes - currentLength);
      current.push(bytes.subarray(0, n));
      currentLength += n;
      bytes = bytes.subarray(n);
      if (currentLength === partBytes) {
        const part = Buffer.concat(current);
        current = [];
        currentLength = 0;
        await send(part);
      }
    }
  };

  try {
    for await (const chunk of source) {
      follower.push(chunk);
      streamed += chunk.length;
      if (headLength === null) {
        early.push(chunk);
        if (follower.headBytes === null) continue;
        // The head is ffmpeg's ftyp + moov; everything after it is fragments, kept byte for byte.
        headLength = follower.headBytes.length;
        const buffered = Buffer.concat(early);
        early.length = 0;
        await take(buffered.subarray(headLength));
        continue;
      }
      await take(chunk);
    }
    await writerDone;
    const head = follower.finishedHead();
    if (follower.fragmentByteCount !== streamed - (headLength ?? 0)) throw new Error("the MP4 stream and its index disagree");
    const firstPart = Buffer.concat([head, ...first]);
    const size = firstPart.length + (nextPart - 2) * partBytes + currentLength;
    if (!upload) return await objects.putBytes(key, Buffer.concat([firstPart, ...current]), "video/mp4");
    if (currentLength > 0) await send(Buffer.concat(current));
    await Promise.all(inFlight);
    if (failure) throw failure;
    await (upload as MultipartUpload).uploadPart(1, firstPart);
    await (upload as MultipartUpload).complete();
    return size;
  } catch (error) {
    await Promise.allSettled(inFlight);
    await (upload as MultipartUpload | null)?.abort();
    throw error;
  }
}
