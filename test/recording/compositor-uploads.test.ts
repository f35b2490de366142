import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, open, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uploadFragmentedMp4 } from "../../functions/recording-compositor/shell/fragmented-mp4-upload.ts";
import { uploadGrowingFile } from "../../functions/recording-compositor/shell/growing-file-upload.ts";
import { RecordingObjects } from "../../functions/recording-compositor/shell/s3-objects.ts";
import { loadOrCreateSecrets, recordingsBucket } from "../../scripts/lib/local-config.ts";
import { localS3Client } from "../../scripts/services/s3.ts";

/**
 * The assembly's two uploads against the local S3 (versitygw) with real ffmpeg output: the fragmented MP4 as ffmpeg
 * streams it (parts as it comes, the head with its duration and fragment index sent last), and a file uploaded while
 * its muxer still writes it (parts the writer changed afterwards sent again). Whatever arrives in S3 must be exactly
 * what a player needs: ffmpeg reads it back, and its fragment index points at its fragments.
 */
const run = promisify(execFile);
const Bucket = recordingsBucket;
const prefix = `test/uploads-${crypto.randomUUID()}/`;
let s3: S3Client;
let objects: RecordingObjects;
let dir = "";

beforeAll(async () => {
  s3 = localS3Client(await loadOrCreateSecrets());
  objects = new RecordingObjects(s3, Bucket);
  dir = await mkdtemp(join(tmpdir(), "uploads-"));
});
afterAll(async () => {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: prefix }));
  for (const { Key } of listed.Contents ?? []) await s3.send(new DeleteObjectCommand({ Bucket, Key }));
  s3.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function readObject(key: string): Promise<Buffer | null> {
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket, Key: key }));
    return Buffer.from(await object.Body!.transformToByteArray());
  } catch {
    return null;
  }
}

/** ffmpeg writing a fragmented MP4 to stdout with the assembly's flags: `seconds` of 360p video and a tone. */
function fragmentedMp4(seconds: number, noisy: boolean): { stdout: Readable; exited: Promise<void> } {
  const child = spawn(
    "ffmpeg",
    [
      ...["-hide_banner", "-nostdin", "-loglevel", "error"],
      ...["-f", "lavfi", "-i", `testsrc2=s=640x360:r=30:d=${seconds}${noisy ? ",noise=alls=100:allf=t" : ""}`],
      ...["-f", "lavfi", "-i", `sine=f=440:r=48000:d=${seconds}`],
      // Noise encoded losslessly is nearly raw: ~10 MB a second, so a few seconds span several parts.
      ...["-c:v", "libx264", "-preset", "ultrafast", "-g", "60", ...(noisy ? ["-qp", "0"] : []), "-c:a", "aac", "-ac", "1"],
      ...["-movflags", "+frag_keyframe+delay_moov+default_base_moof+skip_trailer", "-f", "mp4", "pipe:1"],
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const exited = new Promise<void>((resolve, reject) =>
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}`)))),
  );
  return { stdout: child.stdout, exited };
}

/** The top-level boxes of an MP4, read independently of the product's follower. */
function topLevelBoxes(bytes: Buffer): { type: string; offset: number; size: number }[] {
  const boxes: { type: string; offset: number; size: number }[] = [];
  for (let at = 0; at < bytes.length; ) {
    const size32 = bytes.readUInt32BE(at);
    const size = size32 === 1 ? Number(bytes.readBigUInt64BE(at + 8)) : size32;
    boxes.push({ type: bytes.toString("latin1", at + 4, at + 8), offset: at, size });
    at += size;
  }
  return boxes;
}

const probe = async (path: string) =>
  JSON.parse(
    (
      await run("ffprobe", [
        ...["-v", "error", "-count_packets", "-show_entries", "stream=codec_type,nb_read_packets:format=duration", "-of", "json", path],
      ])
    ).stdout,
  ) as { streams: { codec_type: string; nb_read_packets: string }[]; format: { duration: string } };

describe("the fragmented MP4 upload", () => {
  it("sends a stream larger than three parts as it comes; the object is the stream with a duration and an index that points at every fragment", async () => {
    // The upload is the first part, several full parts and a last one.
    const raw = join(dir, "raw.mp4");
    const { stdout, exited } = fragmentedMp4(8, true);
    const copy = (await open(raw, "w")).createWriteStream();
    const tee = Readable.from(
      (async function* () {
        for await (const chunk of stdout as AsyncIterable<Buffer>) {
          copy.write(chunk);
          yield chunk;
        }
        await new Promise((resolve) => copy.end(resolve));
      })(),
    );
    const key = `${prefix}composite.mp4`;
    const size = await uploadFragmentedMp4(tee, exited, key, objects);
    const object = (await readObject(key))!;
    const stream = await readFile(raw);
    expect(stream.length).toBeGreaterThan(3 * 16 * 1024 * 1024);
    expect(object.length).toBe(size);

    const boxes = topLevelBoxes(object);
    const streamed = topLevelBoxes(stream);
    expect(boxes.map((b) => b.type).slice(0, 4)).toEqual(["ftyp", "moov", "sidx", "moof"]);
    // After the head, the fragments are ffmpeg's bytes, unchanged.
    const firstMoof = (list: typeof boxes) => list.find((b) => b.type === "moof")!.offset;
    expect(object.subarray(firstMoof(boxes)).equals(stream.subarray(firstMoof(streamed)))).toBe(true);
    expect(object.indexOf(Buffer.from("mehd"))).toBeGreaterThan(0);

    // The sidx: one reference per fragment, each the size from its moof to the next, 2 s each (a GOP of 60 frames).
    const sidx = boxes.find((b) => b.type === "sidx")!;
    const count = object.readUInt16BE(sidx.offset + 38);
    const moofs = boxes.filter((b) => b.type === "moof");
    expect(count).toBe(moofs.length);
    let at = sidx.offset + sidx.size;
    for (let i = 0; i < count; i++) {
      const entry = sidx.offset + 40 + 12 * i;
      expect(at).toBe(moofs[i]!.offset);
      at += object.readUInt32BE(entry) & 0x7fffffff;
      expect(object.readUInt32BE(entry + 8) >>> 28).toBe(0x9); // starts with a SAP of type 1
    }
    expect(at).toBe(object.length);
    const timescale = object.readUInt32BE(sidx.offset + 16);
    const durations = Array.from({ length: count }, (_, i) => object.readUInt32BE(sidx.offset + 40 + 12 * i + 4) / timescale);
    expect(durations.reduce((a, b) => a + b, 0)).toBeCloseTo(8, 3);

    const path = join(dir, "uploaded.mp4");
    await writeFile(path, object);
    const probed = await probe(path);
    expect(Number(probed.format.duration)).toBeCloseTo(8, 1);
    expect(probed.streams.find((s) => s.codec_type === "video")!.nb_read_packets).toBe("240");
    // A seek near the end decodes from the index: the frame there is the one the stream holds there.
    const frameAt = async (file: string) =>
      createHash("md5")
        .update(
          (
            await run("ffmpeg", ["-v", "error", "-ss", "6.5", "-i", file, "-frames:v", "1", "-f", "rawvideo", "-"], {
              encoding: "buffer",
              maxBuffer: 8 << 20,
            })
          ).stdout,
        )
        .digest("hex");
    expect(await frameAt(path)).toBe(await frameAt(raw));
  }, 120_000);

  it("a short stream is one PUT, read back whole", async () => {
    const { stdout, exited } = fragmentedMp4(2, false);
    const key = `${prefix}short.mp4`;
    const size = await uploadFragmentedMp4(stdout, exited, key, objects);
    const path = join(dir, "short.mp4");
    await writeFile(path, (await readObject(key))!);
    expect(size).toBeLessThan(8 * 1024 * 1024);
    expect(Number((await probe(path)).format.duration)).toBeCloseTo(2, 1);
  }, 60_000);

  it("a writer that fails leaves no object, even when its stream ended cleanly", async () => {
    const { stdout, exited } = fragmentedMp4(8, true);
    const failed = exited.then(() => {
      throw new Error("the muxer failed");
    });
    failed.catch(() => {});
    const key = `${prefix}failed.mp4`;
    await expect(uploadFragmentedMp4(stdout, failed, key, objects)).rejects.toThrow("the muxer failed");
    expect(await readObject(key)).toBeNull();
  }, 120_000);
});

describe("the upload of a file still being written", () => {
  const part = 16 * 1024 * 1024;
  const random = (n: number) =>
    createHash("sha256")
      .update(String(n))
      .digest()
      .toString("hex")
      .repeat(part / 64)
      .slice(0, part);

  /** Writes `parts` parts in steps, then goes back to change the header and, optionally, a byte of part 2. */
  async function writer(path: string, parts: number, changePart2: boolean): Promise<void> {
    const file = await open(path, "w");
    try {
      for (let k = 0; k < parts; k++) {
        await file.write(Buffer.from(random(k)), 0, part, k * part);
        await sleep(300);
      }
      await file.write(Buffer.from("HEADER"), 0, 6, 0);
      if (changePart2) await file.write(Buffer.from("!"), 0, 1, part + 5);
      await file.write(Buffer.from("tail"), 0, 4, parts * part);
    } finally {
      await file.close();
    }
  }

  it("uploads as it grows; the header and a part changed after it went up arrive as the file ended", async () => {
    const path = join(dir, "growing.webm");
    const key = `${prefix}growing.webm`;
    const size = await uploadGrowingFile(path, key, "video/webm", writer(path, 5, true), objects);
    const local = await readFile(path);
    expect(size).toBe(5 * part + 4);
    expect((await readObject(key))!.equals(local)).toBe(true);
  }, 120_000);

  it("a file of one part is one PUT; a writer that fails leaves no object", async () => {
    const small = join(dir, "small.webm");
    await writeFile(small, "");
    const done = (async () => {
      await writeFile(small, "a whole small file");
    })();
    expect(await uploadGrowingFile(small, `${prefix}small.webm`, "video/webm", done, objects)).toBe(18);
    expect((await readObject(`${prefix}small.webm`))!.toString()).toBe("a whole small file");

    const path = join(dir, "failing.webm");
    const failing = (async () => {
      await writer(path, 3, false);
      throw new Error("the muxer failed");
    })();
    await expect(uploadGrowingFile(path, `${prefix}failing.webm`, "video/webm", failing, objects)).rejects.toThrow("the muxer failed");
    expect(await readObject(`${prefix}failing.webm`)).toBeNull();
  }, 120_000);
});
