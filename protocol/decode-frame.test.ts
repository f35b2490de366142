import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { clientFrameSchema, clientFrameTypes, maxFrameBytes, type ClientFrame, type ClientFrameType } from "./client-frames.ts";
import { decodeClientFrame } from "./decode-frame.ts";
import { roomErrorCodes } from "./room-errors.ts";

/** One valid frame of every type; `satisfies` makes the type checker flag a type added to the protocol but not here. */
const validFrames = {
  hello: { id: "f1", type: "hello", protocolVersion: 1, resumeFromSeq: 42 },
  ping: { id: "f1", type: "ping" },
  media_trouble: { id: "f1", type: "media_trouble" },
  signal: { id: "f1", type: "signal", to: "bob", payload: { kind: "offer", sdp: "v=0\r\n" } },
  presence: { id: "f1", type: "presence", audioMuted: true, connectionQuality: "good" },
  chat_send: {
    id: "f1",
    type: "chat_send",
    clientMessageId: "c0ffee-0001",
    body: "hello",
    attachments: [{ objectKey: "t/m/a.png", name: "a.png", contentType: "image/png", sizeBytes: 10 }],
  },
  chat_edit: { id: "f1", type: "chat_edit", messageSeq: 7, body: "hello again" },
  chat_delete: { id: "f1", type: "chat_delete", messageSeq: 7 },
  chat_react: { id: "f1", type: "chat_react", messageSeq: 7, emoji: "👍", on: true },
  chat_history: { id: "f1", type: "chat_history", beforeSeq: 100, limit: 20 },
  attachment_upload: { id: "f1", type: "attachment_upload", name: "a.pdf", contentType: "application/pdf", sizeBytes: 1234 },
  attachment_download: { id: "f1", type: "attachment_download", objectKey: "t/m/attachments/u/a.pdf" },
  mute: { id: "f1", type: "mute", target: "bob", track: "audio" },
  mute_all: { id: "f1", type: "mute_all", track: "video" },
  remove: { id: "f1", type: "remove", target: "bob", reason: "spam" },
  lock: { id: "f1", type: "lock", locked: true },
  end_meeting: { id: "f1", type: "end_meeting" },
  set_role: { id: "f1", type: "set_role", target: "bob", role: "cohost" },
  spotlight: { id: "f1", type: "spotlight", target: null },
  admit: { id: "f1", type: "admit", target: "bob" },
  deny: { id: "f1", type: "deny", target: "bob" },
  e2ee_publish_key: { id: "f1", type: "e2ee_publish_key", publicKey: { kty: "OKP", crv: "X25519", x: "abc" } },
  e2ee_key_package: { id: "f1", type: "e2ee_key_package", to: "bob", keyId: 3, ciphertext: "Y2lwaGVy", iv: "aXY=" },
  recording: { id: "f1", type: "recording", action: "start", layout: "speaker", consentRequired: true },
  recording_consent: { id: "f1", type: "recording_consent", accept: true },
  recording_exclude: { id: "f1", type: "recording_exclude", target: "bob", excluded: true },
  quality_event: {
    id: "f1",
    type: "quality_event",
    event: { kind: "drop", eventId: "0d6f1c1e-9a0b-4d7e-8f57-3c2b1a0f9e8d", path: "sfu", cause: "ice_disconnected" },
  },
  quality_sample: {
    id: "f1",
    type: "quality_sample",
    sampleId: "5b0c4f8e-3c1a-4c55-9a64-2f4f5d1e7a10",
    windowMs: 5000,
    path: "p2p",
    candidateType: "host",
    tracks: [{ direction: "inbound", kind: "audio", rttMs: 20, jitterMs: 3, packetsLost: 0, packets: 250 }],
  },
} satisfies { [T in ClientFrameType]: Extract<ClientFrame, { type: T }> };

const decode = (value: unknown) => decodeClientFrame(JSON.stringify(value));
const refusal = (value: unknown) => {
  const result = typeof value === "string" ? decodeClientFrame(value) : decode(value);
  if (result.ok) throw new Error(`expected a refusal, got ${JSON.stringify(result.frame)}`);
  return result;
};

describe("valid frames", () => {
  it("has a sample for every frame type of the protocol", () => {
    expect(Object.keys(validFrames).sort()).toEqual([...clientFrameTypes].sort());
  });

  it.each(Object.entries(validFrames))("decodes a %s frame", (_, frame) => {
    expect(decode(frame)).toEqual({ ok: true, frame });
  });

  it("fills defaults the client may leave out", () => {
    expect(decode({ id: "f1", type: "chat_history" })).toEqual({ ok: true, frame: { id: "f1", type: "chat_history", limit: 50 } });
    expect(decode({ id: "f1", type: "chat_send", clientMessageId: "c0ffee-0001", body: "hi" })).toMatchObject({
      ok: true,
      frame: { attachments: [] },
    });
  });

  it("drops keys the protocol does not know, so they never reach the room", () => {
    expect(decode({ ...validFrames.ping, admin: true })).toEqual({ ok: true, frame: validFrames.ping });
  });

  it("decodes an ICE candidate, including the end-of-candidates marker", () => {
    const frame = {
      id: "f1",
      type: "signal",
      to: "bob",
      payload: { kind: "ice", candidate: { candidate: "", sdpMid: null, sdpMLineIndex: null } },
    };
    expect(decode(frame)).toEqual({ ok: true, frame });
  });

  it("accepts a frame of exactly maxFrameBytes", () => {
    const frame = JSON.stringify({ ...validFrames.ping, pad: "" });
    const padded = frame.replace('"pad":""', `"pad":"${"x".repeat(maxFrameBytes - frame.length)}"`);
    expect(new TextEncoder().encode(padded).byteLength).toBe(maxFrameBytes);
    expect(decodeClientFrame(padded)).toEqual({ ok: true, frame: validFrames.ping });
  });
});

describe("malformed_frame", () => {
  it.each([
    ["not JSON", "hello"],
    ["truncated JSON", '{"id":"f1","type":"ping"'],
    ["an empty string", ""],
    ["a JSON array", '[{"id":"f1","type":"ping"}]'],
    ["JSON null", "null"],
    ["a JSON string", '"ping"'],
    ["a JSON number", "0"],
    ["JSON false", "false"],
  ])("refuses %s", (_, text) => {
    expect(refusal(text)).toMatchObject({ code: "malformed_frame" });
  });

  it("refuses binary frames", () => {
    const bytes = new TextEncoder().encode(JSON.stringify(validFrames.ping));
    const buffer = new ArrayBuffer(bytes.byteLength);
    new Uint8Array(buffer).set(bytes);
    expect(decodeClientFrame(buffer)).toEqual({ ok: false, code: "malformed_frame", message: "frames are JSON text, not binary" });
  });

  it("has no ref, since nothing could be read", () => {
    expect(refusal('{"id":"f1",')).not.toHaveProperty("ref");
  });
});

describe("unknown_frame_type", () => {
  it("refuses an unknown type and echoes the frame id", () => {
    expect(refusal({ id: "f9", type: "teleport" })).toEqual({
      ok: false,
      code: "unknown_frame_type",
      message: 'unknown frame type "teleport"',
      ref: "f9",
    });
  });

  it.each([
    ["missing", { id: "f9" }],
    ["a number", { id: "f9", type: 3 }],
    ["a prototype key", { id: "f9", type: "__proto__" }],
    ["a server-only type", { id: "f9", type: "welcome" }],
    ["differently cased", { id: "f9", type: "PING" }],
  ])("refuses a type that is %s", (_, frame) => {
    expect(refusal(frame)).toMatchObject({ code: "unknown_frame_type", ref: "f9" });
  });

  it("echoes no ref when the id is not a usable string", () => {
    expect(refusal({ id: 7, type: "teleport" })).not.toHaveProperty("ref");
    expect(refusal({ id: "", type: "teleport" })).not.toHaveProperty("ref");
    expect(refusal({ id: "x".repeat(65), type: "teleport" })).not.toHaveProperty("ref");
  });

  it("quotes at most 40 characters of the unknown type back", () => {
    const { message } = refusal({ id: "f9", type: "t".repeat(5000) });
    expect(message.length).toBeLessThan(80);
  });
});

describe("invalid_frame", () => {
  it("names the offending field and echoes the frame id", () => {
    const result = refusal({ ...validFrames.signal, to: "" });
    expect(result).toMatchObject({ code: "invalid_frame", ref: "f1" });
    expect(result.message).toMatch(/^to: /);
  });

  it("names a nested field by its dotted path", () => {
    expect(refusal({ ...validFrames.signal, payload: { kind: "offer" } }).message).toMatch(/^payload\.sdp: /);
    expect(refusal({ ...validFrames.chat_send, attachments: [{ ...validFrames.chat_send.attachments[0], sizeBytes: 0 }] }).message).toMatch(
      /^attachments\.0\.sizeBytes: /,
    );
  });

  it.each([
    ["a missing id", { type: "ping" }],
    ["an empty id", { id: "", type: "ping" }],
    ["an id over 64 characters", { id: "x".repeat(65), type: "ping" }],
  ])("refuses %s, with no ref", (_, frame) => {
    const result = refusal(frame);
    expect(result).toMatchObject({ code: "invalid_frame" });
    expect(result).not.toHaveProperty("ref");
  });

  it.each([
    [
      "a private JWK member (d)",
      { ...validFrames.e2ee_publish_key, publicKey: { ...validFrames.e2ee_publish_key.publicKey, d: "secret" } },
    ],
    ["a non-integer seq", { ...validFrames.chat_edit, messageSeq: 1.5 }],
    ["seq 0", { ...validFrames.chat_delete, messageSeq: 0 }],
    ["an overflowing number", '{"id":"f1","type":"hello","protocolVersion":1e400}'],
    ["a negative resumeFromSeq", { ...validFrames.hello, resumeFromSeq: -1 }],
    ["a chat body over 8000 characters", { ...validFrames.chat_send, body: "x".repeat(8001) }],
    ["six attachments", { ...validFrames.chat_send, attachments: Array(6).fill(validFrames.chat_send.attachments[0]) }],
    ["a history page over 100", { ...validFrames.chat_history, limit: 101 }],
    ["an unknown signal payload kind", { ...validFrames.signal, payload: { kind: "renegotiate" } }],
    ["a role that can't be granted", { ...validFrames.set_role, role: "host" }],
    ["a boolean as a string", { ...validFrames.lock, locked: "true" }],
  ])("refuses %s", (_, frame) => {
    expect(refusal(frame)).toMatchObject({ code: "invalid_frame", ref: "f1" });
  });
});

describe("empty chat messages", () => {
  it("refuses a chat_send with neither body nor attachments", () => {
    expect(refusal({ id: "f1", type: "chat_send", clientMessageId: "c0ffee-0001", body: "  " })).toMatchObject({
      code: "invalid_frame",
      ref: "f1",
    });
  });
});

describe("frame_too_large", () => {
  it("refuses text one byte over the limit", () => {
    const frame = JSON.stringify({ ...validFrames.ping, pad: "" });
    const padded = frame.replace('"pad":""', `"pad":"${"x".repeat(maxFrameBytes - frame.length + 1)}"`);
    expect(refusal(padded)).toMatchObject({ code: "frame_too_large" });
  });

  it("counts UTF-8 bytes, not characters", () => {
    const text = JSON.stringify({ ...validFrames.ping, pad: "é".repeat(maxFrameBytes / 2) });
    expect(text.length).toBeLessThan(maxFrameBytes);
    expect(refusal(text)).toMatchObject({ code: "frame_too_large" });
  });

  it("refuses large binary frames as too large", () => {
    expect(decodeClientFrame(new ArrayBuffer(maxFrameBytes + 1))).toMatchObject({ ok: false, code: "frame_too_large" });
  });
});

describe("hostile input", () => {
  it("does not let a __proto__ key pollute prototypes", () => {
    const result = decodeClientFrame('{"id":"f1","type":"ping","__proto__":{"polluted":true}}');
    expect(result).toEqual({ ok: true, frame: validFrames.ping });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("survives deeply nested JSON", () => {
    const depth = 30_000;
    expect(decodeClientFrame("[".repeat(depth) + "]".repeat(depth))).toMatchObject({ ok: false, code: "malformed_frame" });
    expect(decodeClientFrame(`{"id":"f1","type":"ping","x":${"[".repeat(depth)}${"]".repeat(depth)}}`)).toEqual({
      ok: true,
      frame: validFrames.ping,
    });
  });
});

describe("never throws (fuzz)", () => {
  const decodeCodes = ["malformed_frame", "unknown_frame_type", "invalid_frame", "frame_too_large"];

  /** The decoder's contract for any input: a typed frame that re-validates, or a known code with a sane ref. */
  function expectContract(input: string) {
    const result = decodeClientFrame(input);
    if (result.ok) {
      expect(clientFrameSchema.safeParse(result.frame).success).toBe(true);
      return;
    }
    expect(roomErrorCodes).toContain(result.code);
    expect(decodeCodes).toContain(result.code);
    expect(typeof result.message).toBe("string");
    if (result.ref !== undefined) {
      expect(result.ref.length).toBeGreaterThan(0);
      expect(result.ref.length).toBeLessThanOrEqual(64);
      expect((JSON.parse(input) as { id: unknown }).id).toBe(result.ref);
    }
  }

  it("on random strings", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 300 }), expectContract), { numRuns: 3_000 });
  });

  it("on random JSON", () => {
    fc.assert(fc.property(fc.json({ maxDepth: 4 }), expectContract), { numRuns: 2_000 });
  });

  const validFrameArb = fc.constantFrom(...Object.values(validFrames)).map((frame) => structuredClone(frame) as Record<string, unknown>);
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant("delete" as const), pick: fc.nat() }),
    fc.record({ kind: fc.constant("set" as const), pick: fc.nat(), value: fc.jsonValue({ maxDepth: 2 }) }),
    fc.record({ kind: fc.constant("add" as const), key: fc.string({ maxLength: 12 }), value: fc.jsonValue({ maxDepth: 2 }) }),
    fc.record({ kind: fc.constant("retype" as const), type: fc.constantFrom(...clientFrameTypes) }),
  );
  const textMutation = fc.oneof(
    fc.record({ kind: fc.constant("none" as const) }),
    fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
    fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), text: fc.string({ maxLength: 4 }) }),
  );

  it("on valid frames with fields deleted, replaced, added, retyped and their text corrupted", () => {
    fc.assert(
      fc.property(validFrameArb, fc.array(mutation, { maxLength: 4 }), textMutation, (frame, mutations, textEdit) => {
        for (const m of mutations) {
          const keys = Object.keys(frame);
          if (m.kind === "delete" && keys.length > 0) delete frame[keys[m.pick % keys.length]!];
          if (m.kind === "set" && keys.length > 0) frame[keys[m.pick % keys.length]!] = m.value;
          if (m.kind === "add") frame[m.key] = m.value;
          if (m.kind === "retype") frame.type = m.type;
        }
        let text = JSON.stringify(frame);
        if (textEdit.kind === "truncate") text = text.slice(0, textEdit.at % (text.length + 1));
        if (textEdit.kind === "insert") {
          const at = textEdit.at % (text.length + 1);
          text = text.slice(0, at) + textEdit.text + text.slice(at);
        }
        expectContract(text);
      }),
      { numRuns: 3_000 },
    );
  });
});
