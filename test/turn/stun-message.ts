import crypto from "node:crypto";
import net from "node:net";

/**
 * Just enough of STUN (RFC 8489) and TURN (RFC 8656) message encoding to drive coturn from tests.
 * Not a general-purpose codec: no FINGERPRINT, no SHA-256 integrity, no SASLprep (our passwords are base64).
 */

export const magicCookie = 0x2112a442;
const headerLength = 20;
const integrityLength = 20;

/** Message types: method bits combined with class bits (request 0x000, indication 0x010, success 0x100, error 0x110). */
export const MessageType = {
  BindingRequest: 0x0001,
  BindingSuccess: 0x0101,
  AllocateRequest: 0x0003,
  AllocateSuccess: 0x0103,
  AllocateError: 0x0113,
  RefreshRequest: 0x0004,
  RefreshSuccess: 0x0104,
  RefreshError: 0x0114,
  SendIndication: 0x0016,
  DataIndication: 0x0017,
  CreatePermissionRequest: 0x0008,
  CreatePermissionSuccess: 0x0108,
  CreatePermissionError: 0x0118,
} as const;

export const Attr = {
  Username: 0x0006,
  MessageIntegrity: 0x0008,
  ErrorCode: 0x0009,
  Lifetime: 0x000d,
  XorPeerAddress: 0x0012,
  Data: 0x0013,
  Realm: 0x0014,
  Nonce: 0x0015,
  XorRelayedAddress: 0x0016,
  RequestedTransport: 0x0019,
  XorMappedAddress: 0x0020,
} as const;

/** IANA protocol number for UDP, the only relay transport these tests request. */
export const udpTransport = 17;

export interface StunAttribute {
  type: number;
  value: Buffer;
  /** Byte offset of the attribute header in the decoded datagram; needed to check MESSAGE-INTEGRITY. */
  offset?: number;
}

export interface StunMessage {
  type: number;
  transactionId: Buffer;
  attributes: StunAttribute[];
}

export interface TransportAddress {
  address: string;
  port: number;
}

export const isErrorResponse = (message: StunMessage) => (message.type & 0x0110) === 0x0110;
export const isSuccessResponse = (message: StunMessage) => (message.type & 0x0110) === 0x0100;

export function newTransactionId(): Buffer {
  return crypto.randomBytes(12);
}

/** Long-term credential key (RFC 8489 §9.2.2): MD5("username:realm:password"). */
export function longTermKey(username: string, realm: string, password: string): Buffer {
  return crypto.createHash("md5").update(`${username}:${realm}:${password}`, "utf8").digest();
}

/** Encodes a message; with `integrityKey`, appends MESSAGE-INTEGRITY computed over everything before it. */
export function encodeStunMessage(message: StunMessage, integrityKey?: Buffer): Buffer {
  const body = Buffer.concat(message.attributes.map(encodeAttribute));
  const header = Buffer.alloc(headerLength);
  header.writeUInt16BE(message.type, 0);
  header.writeUInt32BE(magicCookie, 4);
  message.transactionId.copy(header, 8);
  if (!integrityKey) {
    header.writeUInt16BE(body.length, 2);
    return Buffer.concat([header, body]);
  }
  // The HMAC covers a header whose length already counts the MESSAGE-INTEGRITY attribute itself.
  header.writeUInt16BE(body.length + 4 + integrityLength, 2);
  const mac = crypto.createHmac("sha1", integrityKey).update(header).update(body).digest();
  return Buffer.concat([header, body, encodeAttribute({ type: Attr.MessageIntegrity, value: mac })]);
}

function encodeAttribute(attribute: StunAttribute): Buffer {
  const padded = Math.ceil(attribute.value.length / 4) * 4;
  const out = Buffer.alloc(4 + padded);
  out.writeUInt16BE(attribute.type, 0);
  out.writeUInt16BE(attribute.value.length, 2);
  attribute.value.copy(out, 4);
  return out;
}

/** Decodes one datagram; returns undefined for anything that is not a well-formed STUN message. */
export function decodeStunMessage(datagram: Buffer): StunMessage | undefined {
  if (datagram.length < headerLength || (datagram[0]! & 0xc0) !== 0) return undefined;
  if (datagram.readUInt32BE(4) !== magicCookie) return undefined;
  const length = datagram.readUInt16BE(2);
  if (length % 4 !== 0 || headerLength + length !== datagram.length) return undefined;
  const attributes: StunAttribute[] = [];
  let offset = headerLength;
  while (offset < datagram.length) {
    if (offset + 4 > datagram.length) return undefined;
    const type = datagram.readUInt16BE(offset);
    const valueLength = datagram.readUInt16BE(offset + 2);
    const end = offset + 4 + valueLength;
    if (end > datagram.length) return undefined;
    attributes.push({ type, value: Buffer.from(datagram.subarray(offset + 4, end)), offset });
    offset = offset + 4 + Math.ceil(valueLength / 4) * 4;
  }
  return { type: datagram.readUInt16BE(0), transactionId: Buffer.from(datagram.subarray(8, headerLength)), attributes };
}

export function attribute(message: StunMessage, type: number): Buffer | undefined {
  return message.attributes.find((a) => a.type === type)?.value;
}

/**
 * Checks MESSAGE-INTEGRITY of a received datagram: true if present and valid, false if present and wrong,
 * undefined if absent.
 */
export function verifyMessageIntegrity(datagram: Buffer, key: Buffer): boolean | undefined {
  const message = decodeStunMessage(datagram);
  const integrity = message?.attributes.find((a) => a.type === Attr.MessageIntegrity);
  if (!integrity || integrity.offset === undefined) return undefined;
  const covered = Buffer.from(datagram.subarray(0, integrity.offset));
  covered.writeUInt16BE(integrity.offset - headerLength + 4 + integrityLength, 2);
  const expected = crypto.createHmac("sha1", key).update(covered).digest();
  return integrity.value.length === integrityLength && crypto.timingSafeEqual(expected, integrity.value);
}

export const stringAttribute = (type: number, value: string): StunAttribute => ({ type, value: Buffer.from(value, "utf8") });

export function uint32Attribute(type: number, value: number): StunAttribute {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value, 0);
  return { type, value: buffer };
}

/** REQUESTED-TRANSPORT: protocol number followed by three reserved bytes. */
export const requestedTransport = (protocol = udpTransport): StunAttribute => ({
  type: Attr.RequestedTransport,
  value: Buffer.from([protocol, 0, 0, 0]),
});

// XOR-*-ADDRESS hides the address from NATs that rewrite anything looking like an IP: port XOR the cookie's
// top half, IPv4 address XOR the cookie. Only IPv4 is handled: the whole local stack is on 127.0.0.1.
export function encodeXorAddress(type: number, { address, port }: TransportAddress): StunAttribute {
  if (!net.isIPv4(address)) throw new Error(`only IPv4 peers are supported, got ${address}`);
  const value = Buffer.alloc(8);
  value[1] = 0x01;
  value.writeUInt16BE(port ^ (magicCookie >>> 16), 2);
  value.writeUInt32BE((ipv4ToUint32(address) ^ magicCookie) >>> 0, 4);
  return { type, value };
}

export function decodeXorAddress(value: Buffer): TransportAddress {
  if (value[1] !== 0x01 || value.length !== 8) throw new Error(`not an IPv4 XOR address attribute (${value.length} bytes)`);
  const ip = (value.readUInt32BE(4) ^ magicCookie) >>> 0;
  const address = [24, 16, 8, 0].map((shift) => (ip >>> shift) & 0xff).join(".");
  return { address, port: value.readUInt16BE(2) ^ (magicCookie >>> 16) };
}

const ipv4ToUint32 = (address: string) => address.split(".").reduce((acc, octet) => acc * 256 + Number(octet), 0);

export interface StunError {
  code: number;
  reason: string;
}

/** ERROR-CODE: two reserved bytes, the hundreds digit (class), the remainder (number), then a UTF-8 reason. */
export function decodeErrorCode(message: StunMessage): StunError | undefined {
  const value = attribute(message, Attr.ErrorCode);
  if (!value || value.length < 4) return undefined;
  return { code: (value[2]! & 0x07) * 100 + value[3]!, reason: value.subarray(4).toString("utf8") };
}
