import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson, requestFingerprint } from "./request-fingerprint.ts";

describe("requestFingerprint", () => {
  it("is the SHA-256 hex of the canonical JSON", async () => {
    const body = { title: "Standup", b: [1, 2] };
    expect(await requestFingerprint(body)).toBe(createHash("sha256").update(canonicalJson(body)).digest("hex"));
  });

  it("does not depend on key order", async () => {
    expect(await requestFingerprint({ title: "Standup", settings: { waitingRoom: true, maxParticipants: 10 } })).toBe(
      await requestFingerprint({ settings: { maxParticipants: 10, waitingRoom: true }, title: "Standup" }),
    );
  });

  it("does not depend on key order at any depth, including objects inside arrays", async () => {
    expect(await requestFingerprint({ a: [{ x: 1, y: { p: 1, q: 2 } }], b: 2 })).toBe(
      await requestFingerprint({ b: 2, a: [{ y: { q: 2, p: 1 }, x: 1 }] }),
    );
  });

  it.each<[string, unknown, unknown]>([
    ["a different value", { title: "Standup" }, { title: "Retro" }],
    ["a different type", { max: 10 }, { max: "10" }],
    ["null versus absent", { end: null }, {}],
    ["an extra field", { title: "a" }, { title: "a", extra: 1 }],
    ["a different array order", { ids: [1, 2] }, { ids: [2, 1] }],
    ["a nested difference", { s: { a: { b: 1 } } }, { s: { a: { b: 2 } } }],
    ["an array versus an object", { v: [1] }, { v: { 0: 1 } }],
    ["a different key with the same value", { a: 1 }, { b: 1 }],
  ])("tells apart bodies with %s", async (_, a, b) => {
    expect(await requestFingerprint(a)).not.toBe(await requestFingerprint(b));
  });

  it("ignores fields whose value is undefined", async () => {
    expect(await requestFingerprint({ title: "a", scheduledStartAt: undefined })).toBe(await requestFingerprint({ title: "a" }));
  });

  it("cannot be confused by keys or strings containing JSON punctuation", async () => {
    expect(await requestFingerprint({ 'a":1,"b': 2 })).not.toBe(await requestFingerprint({ a: 1, b: 2 }));
    expect(await requestFingerprint(["a,b"])).not.toBe(await requestFingerprint(["a", "b"]));
  });
});

describe("canonicalJson", () => {
  it("sorts keys and drops undefined fields", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { f: 1, e: 2 }], c: undefined } })).toBe('{"a":{"d":[3,{"e":2,"f":1}]},"b":1}');
  });

  it("writes undefined inside arrays as null, like JSON.stringify", () => {
    expect(canonicalJson([1, undefined])).toBe("[1,null]");
  });

  it("renders scalars as JSON", () => {
    expect([null, true, 0, -1.5, "x"].map(canonicalJson)).toEqual(["null", "true", "0", "-1.5", '"x"']);
  });

  it("parses back to the same value as the input for any JSON body", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });

  it("gives the same text for any reordering of an object's keys", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (dict) => {
        const reversed = Object.fromEntries(Object.entries(dict).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(dict));
      }),
    );
  });
});
