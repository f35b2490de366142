import crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  Attr,
  MessageType,
  decodeErrorCode,
  decodeStunMessage,
  decodeXorAddress,
  encodeStunMessage,
  encodeXorAddress,
  longTermKey,
  newTransactionId,
  stringAttribute,
  verifyMessageIntegrity,
} from "./stun-message.ts";

// The test client's codec is itself checked, so a failing coturn test points at coturn, not at the client.
describe("test STUN codec", () => {
  it("round-trips a message with odd-length attributes (padding)", () => {
    const message = {
      type: MessageType.AllocateRequest,
      transactionId: newTransactionId(),
      attributes: [stringAttribute(Attr.Username, "1700003600:a"), stringAttribute(Attr.Realm, "realm")],
    };
    const datagram = encodeStunMessage(message);
    expect(datagram.length % 4).toBe(0);
    const decoded = decodeStunMessage(datagram);
    expect(decoded?.type).toBe(message.type);
    expect(decoded?.transactionId).toEqual(message.transactionId);
    expect(decoded?.attributes.map((a) => [a.type, a.value.toString()])).toEqual([
      [Attr.Username, "1700003600:a"],
      [Attr.Realm, "realm"],
    ]);
  });

  it("MESSAGE-INTEGRITY verifies under the right key and fails under a wrong key or a flipped bit", () => {
    const key = longTermKey("user", "realm", "pass");
    expect(key).toEqual(crypto.createHash("md5").update("user:realm:pass").digest());
    const datagram = encodeStunMessage(
      {
        type: MessageType.AllocateRequest,
        transactionId: newTransactionId(),
        attributes: [stringAttribute(Attr.Nonce, "n0nce")],
      },
      key,
    );
    expect(verifyMessageIntegrity(datagram, key)).toBe(true);
    expect(verifyMessageIntegrity(datagram, longTermKey("user", "realm", "other"))).toBe(false);
    const tampered = Buffer.from(datagram);
    tampered[25]! ^= 0x01; // inside the NONCE value
    expect(verifyMessageIntegrity(tampered, key)).toBe(false);
  });

  it("XOR addresses round-trip and hide the plain address bytes", () => {
    const attribute = encodeXorAddress(Attr.XorPeerAddress, { address: "127.0.0.1", port: 49160 });
    expect(attribute.value.subarray(4)).not.toEqual(Buffer.from([127, 0, 0, 1]));
    expect(decodeXorAddress(attribute.value)).toEqual({ address: "127.0.0.1", port: 49160 });
  });

  it("decodes ERROR-CODE class and number", () => {
    const value = Buffer.concat([Buffer.from([0, 0, 4, 1]), Buffer.from("Unauthorized")]);
    const attributes = [{ type: Attr.ErrorCode, value }];
    const message = { type: MessageType.AllocateError, transactionId: newTransactionId(), attributes };
    expect(decodeErrorCode(message)).toEqual({ code: 401, reason: "Unauthorized" });
  });

  it("rejects non-STUN and malformed datagrams instead of throwing", () => {
    const valid = encodeStunMessage({ type: MessageType.BindingRequest, transactionId: newTransactionId(), attributes: [] });
    expect(decodeStunMessage(Buffer.alloc(0))).toBeUndefined();
    expect(decodeStunMessage(Buffer.concat([valid, Buffer.alloc(4)]))).toBeUndefined(); // length field lies
    const badCookie = Buffer.from(valid);
    badCookie.writeUInt32BE(0, 4);
    expect(decodeStunMessage(badCookie)).toBeUndefined();
    for (let i = 0; i < 500; i++) expect(() => decodeStunMessage(crypto.randomBytes(crypto.randomInt(0, 200)))).not.toThrow();
  });
});
