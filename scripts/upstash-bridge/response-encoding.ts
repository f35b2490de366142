/**
 * Turns a Redis reply into the JSON value of an Upstash REST `result`.
 *
 * With `Upstash-Encoding: base64` (what `@upstash/redis` sends by default) every string is base64 of its bytes,
 * so binary values and any UTF-8 survive JSON; the client decodes each string it finds, one array level at a time.
 * The one exception is a top-level `OK`, which Upstash sends literally and the client passes through unchanged.
 * Inside arrays the client base64-decodes unconditionally, so a nested `OK` must be encoded too.
 */
export type ResponseEncoding = "base64" | "plain";

export type EncodedReply = string | number | null | EncodedReply[];

export function responseEncoding(header: string | string[] | undefined): ResponseEncoding {
  const value = Array.isArray(header) ? header[0] : header;
  return value?.trim().toLowerCase() === "base64" ? "base64" : "plain";
}

export function encodeReply(reply: unknown, encoding: ResponseEncoding): EncodedReply {
  if (encoding === "base64" && isOk(reply)) return "OK";
  return encodeValue(reply, encoding);
}

function encodeValue(reply: unknown, encoding: ResponseEncoding): EncodedReply {
  if (reply === null || reply === undefined) return null;
  if (typeof reply === "number") return reply;
  // RESP2 never yields these; they would only come from a RESP3 connection, so keep the RESP2 shape.
  if (typeof reply === "bigint") return Number(reply);
  if (typeof reply === "boolean") return reply ? 1 : 0;
  if (Array.isArray(reply)) return reply.map((item) => encodeValue(item, encoding));
  // An error nested in a reply (a Lua table holding `redis.error_reply`) has no JSON form of its own.
  if (reply instanceof Error) return encodeBytes(Buffer.from(reply.message, "utf8"), encoding);
  if (reply instanceof Uint8Array) return encodeBytes(asBuffer(reply), encoding);
  if (typeof reply === "string") return encodeBytes(Buffer.from(reply, "utf8"), encoding);
  return null;
}

function encodeBytes(bytes: Buffer, encoding: ResponseEncoding): string {
  return encoding === "base64" ? bytes.toString("base64") : bytes.toString("utf8");
}

function isOk(reply: unknown): boolean {
  if (typeof reply === "string") return reply === "OK";
  return reply instanceof Uint8Array && reply.length === 2 && reply[0] === 0x4f && reply[1] === 0x4b;
}

/** ioredis hands out Buffers already; a view over the same memory avoids copying other byte arrays. */
const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
