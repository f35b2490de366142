import crypto from "node:crypto";
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadOrCreateSecrets, ports, s3Bucket, type LocalSecrets } from "../../scripts/lib/local-config.ts";
import { localS3Client, s3Endpoint, s3Region } from "../../scripts/services/s3.ts";

// Runs against the real versitygw that test/global-setup.ts brought up (TEST_SERVICES must include s3).
const MiB = 1024 * 1024;
const Bucket = s3Bucket;
const workerOrigin = `http://127.0.0.1:${ports.worker}`;

let secrets: LocalSecrets;
let s3: S3Client;
// Every key lives under a per-run prefix so parallel runs and leftovers never collide.
const prefix = `test/s3-${crypto.randomUUID()}/`;

const sha256 = (bytes: Uint8Array) => crypto.createHash("sha256").update(bytes).digest("hex");
const statusOf = (error: unknown) => (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;

async function readBody(key: string): Promise<Uint8Array> {
  const object = await s3.send(new GetObjectCommand({ Bucket, Key: key }));
  return object.Body!.transformToByteArray();
}

beforeAll(async () => {
  secrets = await loadOrCreateSecrets();
  s3 = localS3Client(secrets);
});

afterAll(async () => {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: prefix }));
  for (const { Key } of listed.Contents ?? []) await s3.send(new DeleteObjectCommand({ Bucket, Key }));
  s3.destroy();
});

describe("local S3 (versitygw)", () => {
  it("puts, heads, gets, lists and deletes an object", async () => {
    const key = `${prefix}notes/hello.txt`;
    await s3.send(new PutObjectCommand({ Bucket, Key: key, Body: "hello, meeting", ContentType: "text/plain" }));

    const head = await s3.send(new HeadObjectCommand({ Bucket, Key: key }));
    expect(head.ContentLength).toBe(14);
    expect(head.ContentType).toBe("text/plain");
    expect(new TextDecoder().decode(await readBody(key))).toBe("hello, meeting");

    const listed = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: `${prefix}notes/` }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual([key]);

    await s3.send(new DeleteObjectCommand({ Bucket, Key: key }));
    const gone = await s3.send(new HeadObjectCommand({ Bucket, Key: key })).catch((error: unknown) => error);
    expect(statusOf(gone)).toBe(404);
  });

  it("round-trips bytes through a presigned PUT and a presigned GET with plain fetch", async () => {
    const key = `${prefix}presigned/blob.bin`;
    const bytes = crypto.randomBytes(64 * 1024);
    const putUrl = await getSignedUrl(s3, new PutObjectCommand({ Bucket, Key: key }), { expiresIn: 60 });
    // A checksum pinned into the URL would be that of an empty body: real S3 would reject these bytes.
    expect(new URL(putUrl).searchParams.has("x-amz-checksum-crc32")).toBe(false);
    const put = await fetch(putUrl, { method: "PUT", body: bytes });
    expect(put.status).toBe(200);

    const getUrl = await getSignedUrl(s3, new GetObjectCommand({ Bucket, Key: key }), { expiresIn: 60 });
    const got = await fetch(getUrl);
    expect(got.status).toBe(200);
    expect(sha256(new Uint8Array(await got.arrayBuffer()))).toBe(sha256(bytes));
  });

  it("refuses an expired presigned URL", async () => {
    const key = `${prefix}presigned/expired.txt`;
    await s3.send(new PutObjectCommand({ Bucket, Key: key, Body: "old" }));
    // Signed two minutes ago for one second: expired without the test having to wait.
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket, Key: key }), {
      expiresIn: 1,
      signingDate: new Date(Date.now() - 120_000),
    });
    const response = await fetch(url);
    expect(response.status).toBe(403);
    await response.body?.cancel();
  });

  it("refuses a presigned URL whose key or signature was tampered with", async () => {
    const key = `${prefix}presigned/mine.txt`;
    await s3.send(new PutObjectCommand({ Bucket, Key: key, Body: "mine" }));
    await s3.send(new PutObjectCommand({ Bucket, Key: `${prefix}presigned/theirs.txt`, Body: "theirs" }));
    const url = new URL(await getSignedUrl(s3, new GetObjectCommand({ Bucket, Key: key }), { expiresIn: 60 }));

    const otherKey = new URL(url);
    otherKey.pathname = otherKey.pathname.replace("mine.txt", "theirs.txt");
    const forgedSignature = new URL(url);
    const signature = forgedSignature.searchParams.get("X-Amz-Signature")!;
    forgedSignature.searchParams.set("X-Amz-Signature", `${signature.slice(0, -1)}${signature.endsWith("0") ? "1" : "0"}`);
    const longerExpiry = new URL(url);
    longerExpiry.searchParams.set("X-Amz-Expires", "604800");

    for (const tampered of [otherKey, forgedSignature, longerExpiry]) {
      const response = await fetch(tampered);
      expect(response.status, tampered.toString()).toBe(403);
      await response.body?.cancel();
    }
  });

  it("completes a multipart upload and reads it back intact", async () => {
    const key = `${prefix}recordings/take-1.webm`;
    // S3 requires every part but the last to be at least 5 MiB.
    const parts = [crypto.randomBytes(5 * MiB), crypto.randomBytes(5 * MiB), crypto.randomBytes(1 * MiB + 123)];
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: key }));
    const uploaded = [];
    for (const [index, Body] of parts.entries()) {
      const PartNumber = index + 1;
      const { ETag } = await s3.send(new UploadPartCommand({ Bucket, Key: key, UploadId, PartNumber, Body }));
      uploaded.push({ ETag, PartNumber });
    }
    await s3.send(new CompleteMultipartUploadCommand({ Bucket, Key: key, UploadId, MultipartUpload: { Parts: uploaded } }));

    const whole = Buffer.concat(parts);
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key: key }));
    expect(head.ContentLength).toBe(whole.length);
    // A multipart ETag is "<md5 of part md5s>-<part count>".
    expect(head.ETag).toMatch(/-3"$/);
    expect(sha256(await readBody(key))).toBe(sha256(whole));
  });

  async function listWith(credentials: { accessKeyId: string; secretAccessKey: string }) {
    const client = new S3Client({ endpoint: s3Endpoint, region: s3Region, forcePathStyle: true, credentials });
    try {
      return await client.send(new ListObjectsV2Command({ Bucket, Prefix: prefix })).catch((error: unknown) => error);
    } finally {
      client.destroy();
    }
  }

  it("refuses a client signing with the wrong secret", async () => {
    const error = await listWith({ accessKeyId: secrets.s3AccessKey, secretAccessKey: `${secrets.s3SecretKey}x` });
    expect((error as Error).name).toBe("SignatureDoesNotMatch");
    expect(statusOf(error)).toBe(403);
  });

  it("refuses a client with an unknown access key", async () => {
    const error = await listWith({ accessKeyId: "AKNOBODY", secretAccessKey: secrets.s3SecretKey });
    // AWS answers 403 InvalidAccessKeyId; versitygw answers 404 XAdminUserNotFound. Either way: no listing.
    expect(error).toBeInstanceOf(Error);
    expect([403, 404]).toContain(statusOf(error));
  });

  it("answers a browser preflight from the Worker's origin and not from others", async () => {
    const preflight = (origin: string) =>
      fetch(`${s3Endpoint}/${Bucket}/${prefix}upload.webm`, {
        method: "OPTIONS",
        headers: {
          Origin: origin,
          "Access-Control-Request-Method": "PUT",
          "Access-Control-Request-Headers": "content-type",
        },
      });

    for (const origin of [workerOrigin, `http://localhost:${ports.worker}`]) {
      const allowed = await preflight(origin);
      expect(allowed.status).toBe(200);
      expect(allowed.headers.get("access-control-allow-origin")).toBe(origin);
      expect(allowed.headers.get("access-control-allow-methods")).toContain("PUT");
      await allowed.body?.cancel();
    }

    const stranger = await preflight("http://evil.example");
    expect(stranger.headers.get("access-control-allow-origin")).toBeNull();
    await stranger.body?.cancel();
  });
});
