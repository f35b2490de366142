import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeReply, responseEncoding } from "./response-encoding.ts";

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

describe("encodeReply with base64", () => {
  it("encodes bulk strings as base64 of their bytes", () => {
    expect(encodeReply(Buffer.from("héllo"), "base64")).toBe(b64("héllo"));
    expect(encodeReply(Buffer.from([0xff, 0x00, 0x80]), "base64")).toBe("/wCA");
  });

  it("sends a top-level OK literally, but encodes OK inside arrays, where the client always decodes", () => {
    expect(encodeReply(Buffer.from("OK"), "base64")).toBe("OK");
    expect(encodeReply([Buffer.from("OK")], "base64")).toEqual([b64("OK")]);
    expect(encodeReply(Buffer.from("OKAY"), "base64")).toBe(b64("OKAY"));
  });

  it("leaves numbers and nulls as they are, at any depth", () => {
    expect(encodeReply(42, "base64")).toBe(42);
    expect(encodeReply(null, "base64")).toBeNull();
    expect(encodeReply([1, null, [2, Buffer.from("x"), null]], "base64")).toEqual([1, null, [2, b64("x"), null]]);
  });

  it("turns an error nested in a script's reply into its message", () => {
    expect(encodeReply([1, new Error("ERR bad")], "base64")).toEqual([1, b64("ERR bad")]);
  });

  it("keeps any bytes recoverable", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const encoded = encodeReply([Buffer.from(bytes)], "base64") as string[];
        expect(Buffer.from(encoded[0]!, "base64")).toEqual(Buffer.from(bytes));
      }),
    );
  });
});

describe("encodeReply without encoding", () => {
  it("returns strings as UTF-8 text", () => {
    expect(encodeReply(Buffer.from("OK"), "plain")).toBe("OK");
    expect(encodeReply([Buffer.from("ü"), 3, null], "plain")).toEqual(["ü", 3, null]);
  });
});

describe("responseEncoding", () => {
  it("is base64 only when the header asks for it", () => {
    expect(responseEncoding("base64")).toBe("base64");
    expect(responseEncoding("Base64 ")).toBe("base64");
    expect(responseEncoding(undefined)).toBe("plain");
    expect(responseEncoding("utf-8")).toBe("plain");
  });
});
