import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { clientFrameTypes, maxFrameBytes, type ClientFrame, type ClientFrameType } from "../../protocol/client-frames.ts";
import { decodeClientFrame } from "../../protocol/decode-frame.ts";
import { roomErrorCodes } from "../../protocol/room-errors.ts";
import { framesOf, serverMessageSchema, type ServerFrame } from "../../protocol/server-frames.ts";
import { createMeeting, mintToken, newTenant } from "../support/stack.ts";

/**
 * Property-based fuzzing of the real MeetingRoom DO over real WebSockets. Frames go one at a time (lockstep),
 * round-robin over several fuzzing participants so the per-connection control bucket (20 burst, 10/s) is not
 * the only answer. The oracle is the pure decoder the DO runs, applied to exactly what the server receives:
 * a bad frame must get exactly one `error` with the decoder's code or `rate_limited`.
 */

const answerTimeoutMs = 5000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A raw socket that keeps every server frame; frames off the shared schema are kept too, and listed in `offSchema`. */
class ProbeSocket {
  readonly frames: ServerFrame[] = [];
  readonly offSchema: unknown[] = [];
  closedBy: { code: number; reason: string } | undefined;
  /** Frames before this index were already accounted for by an exchange. */
  cursor = 0;
  private readonly waiters = new Set<() => void>();

  private constructor(private readonly socket: WebSocket) {
    socket.on("message", (data) => {
      let json: unknown;
      try {
        json = JSON.parse(String(data));
      } catch {
        json = String(data);
      }
      const parsed = serverMessageSchema.safeParse(json);
      if (!parsed.success) this.offSchema.push(json);
      this.frames.push(...(parsed.success ? framesOf(parsed.data) : [json as ServerFrame]));
      for (const wake of this.waiters) wake();
    });
    socket.on("close", (code, reason) => {
      this.closedBy = { code, reason: String(reason) };
      for (const wake of this.waiters) wake();
    });
    // A reset is followed by "close", which is what the checks look at; without a listener ws would throw.
    socket.on("error", () => {});
  }

  static async connect(url: string): Promise<ProbeSocket> {
    const socket = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
    });
    return new ProbeSocket(socket);
  }

  send(data: string | Uint8Array): void {
    this.socket.send(data, { binary: typeof data !== "string" });
  }

  /** The first frame at or after `from` that matches; throws on timeout or when the server closed the socket. */
  async waitFor(
    match: (frame: ServerFrame) => boolean,
    from = 0,
    timeoutMs = answerTimeoutMs,
  ): Promise<{ frame: ServerFrame; index: number }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.frames.findIndex((frame, i) => i >= from && match(frame));
      if (index >= 0) return { frame: this.frames[index]!, index };
      if (this.closedBy) throw new Error(`server closed the socket (${this.closedBy.code} ${this.closedBy.reason})`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no matching frame within ${timeoutMs} ms; last: ${JSON.stringify(this.frames.slice(-3)).slice(0, 400)}`);
      await new Promise<void>((resolve) => {
        const wake = () => (this.waiters.delete(wake), clearTimeout(timer), resolve());
        const timer = setTimeout(wake, left);
        this.waiters.add(wake);
      });
    }
  }

  close(): void {
    this.socket.close(1000);
  }
}

type Outgoing = { text: string } | { bytes: Uint8Array };

/** What the DO's `webSocketMessage` gets: text arrives as UTF-8, so lone surrogates come out as U+FFFD. */
function asReceived(out: Outgoing): string | ArrayBuffer {
  if ("text" in out) return Buffer.from(out.text, "utf8").toString("utf8");
  return out.bytes.slice().buffer as ArrayBuffer;
}

/** The id an `error` must echo: a string of 1–64 chars in a text frame the server can read (within the size limit). */
function usableId(received: string | ArrayBuffer): string | undefined {
  if (typeof received !== "string" || Buffer.byteLength(received) > maxFrameBytes) return undefined;
  try {
    const raw: unknown = JSON.parse(received);
    if (!raw || typeof raw !== "object" || Array.isArray(raw)) return undefined;
    const id = (raw as { id?: unknown }).id;
    return typeof id === "string" && id.length >= 1 && id.length <= 64 ? id : undefined;
  } catch {
    return undefined;
  }
}

interface Tally {
  bad: number;
  /** Bad frames whose error carried the decoder's own code (the others got `rate_limited`). */
  decoded: number;
  valid: number;
  skipped: number;
  codes: Record<string, number>;
}

/** One meeting under fuzz: its fuzzing participants and an observer that valid frames are addressed to. */
interface Lane {
  meetingId: string;
  fuzzers: ProbeSocket[];
  observer: ProbeSocket;
}

/**
 * A few meetings with a few fuzzing participants each (role participant, so host controls are refused).
 * More than one meeting because every refusal is sequenced into the room's frame log and the DO rewrites its
 * whole state per frame: one big room would make each frame slower than the last.
 */
class Barrage {
  readonly tally: Tally = { bad: 0, decoded: 0, valid: 0, skipped: 0, codes: {} };
  private readonly fuzzers: ProbeSocket[];
  private turn = 0;
  private barriers = 0;

  private constructor(
    private readonly key: string,
    readonly lanes: Lane[],
  ) {
    this.fuzzers = lanes.flatMap((lane) => lane.fuzzers);
  }

  static async open(key: string, label: string, meetings: number, fuzzersPerMeeting: number): Promise<Barrage> {
    const lanes: Lane[] = [];
    for (let m = 0; m < meetings; m++) {
      const { id: meetingId } = await createMeeting(key, { title: `fuzz ${label} ${m}`, waitingRoom: false });
      const observer = await join(key, meetingId, "observer");
      const fuzzers: ProbeSocket[] = [];
      for (let i = 0; i < fuzzersPerMeeting; i++) fuzzers.push(await join(key, meetingId, `${label}-fuzzer-${i}`));
      for (const socket of fuzzers) socket.cursor = socket.frames.length;
      lanes.push({ meetingId, fuzzers, observer });
    }
    return new Barrage(key, lanes);
  }

  /** Sends one frame on the next fuzzer, in lockstep, and checks its answer. */
  async exchange(out: Outgoing): Promise<void> {
    const socket = this.fuzzers[this.turn++ % this.fuzzers.length]!;
    const received = asReceived(out);
    const oracle = decodeClientFrame(received);
    const payload = "text" in out ? out.text : out.bytes;
    if (oracle.ok) return this.exchangeValid(socket, oracle.frame, payload);

    this.tally.bad++;
    socket.send(payload);
    const { frame, index } = await socket.waitFor((f) => f.type === "error", socket.cursor);
    socket.cursor = index + 1;
    if (frame.type !== "error") throw new Error("unreachable");
    this.count(frame.code);
    expect(roomErrorCodes).toContain(frame.code);
    expect([oracle.code, "rate_limited"]).toContain(frame.code);
    expect(frame.ref).toBe(usableId(received));
    if (frame.code === oracle.code) this.tally.decoded++;
  }

  /** A frame the decoder accepts: whatever it causes must not be `internal_error`, and a ping after it is answered. */
  private async exchangeValid(socket: ProbeSocket, frame: ClientFrame, payload: string | Uint8Array): Promise<void> {
    // A schema-valid hello of another protocol version is refused with close 4005 by design; not sent.
    if (frame.type === "hello" && frame.protocolVersion !== 1) return void this.tally.skipped++;
    this.tally.valid++;
    const from = socket.cursor;
    // A resuming hello replays old frames (old seqs): only frames newer than anything seen are answers.
    const seen = Math.max(0, ...socket.frames.slice(0, from).map((f) => f.seq ?? 0));
    socket.send(payload);
    const barrier = `~barrier-${++this.barriers}`;
    socket.send(JSON.stringify({ id: barrier, type: "ping" }));
    socket.cursor = (await socket.waitFor((f) => "ref" in f && f.ref === barrier, from)).index + 1;
    // Answers that may come after the barrier's: a hello awaits TURN credentials before its replay or welcome,
    // and an upload URL is presigned in waitUntil. Waiting for them keeps replayed errors behind the cursor.
    const ownAnswer =
      frame.type === "hello"
        ? (f: ServerFrame) => f.seq > seen && (f.type === "welcome" || f.type === "resumed" || (f.type === "error" && f.ref === frame.id))
        : frame.type === "attachment_upload" || frame.type === "attachment_download"
          ? (f: ServerFrame) => (f.type === "error" || f.type === frame.type) && f.ref === frame.id
          : undefined;
    if (ownAnswer) socket.cursor = Math.max(socket.cursor, (await socket.waitFor(ownAnswer, from)).index + 1);
    for (const answer of socket.frames.slice(from, socket.cursor)) {
      if (answer.type !== "error" || answer.ref !== frame.id || answer.seq <= seen) continue;
      this.count(`valid:${answer.code}`);
      expect(answer.code).not.toBe("internal_error");
    }
  }

  private count(code: string) {
    this.tally.codes[code] = (this.tally.codes[code] ?? 0) + 1;
  }

  /** After the barrage: no socket closed, nothing off-schema, no stray error, and every room still serves. */
  async expectStillServing(): Promise<void> {
    for (const lane of this.lanes) {
      for (const socket of [...lane.fuzzers, lane.observer]) {
        expect(socket.closedBy).toBeUndefined();
        expect(socket.offSchema).toEqual([]);
        expect(socket.frames.filter((f) => f.type === "error" && f.code === "internal_error")).toEqual([]);
      }
      for (const socket of lane.fuzzers) {
        expect(socket.frames.slice(socket.cursor).filter((f) => f.type === "error")).toEqual([]);
        // The barrage drained the control bucket: retry until a token is back.
        await retryUntil(async (attempt) => {
          const id = `after-ping-${attempt}`;
          socket.send(JSON.stringify({ id, type: "ping" }));
          return (await socket.waitFor((f) => "ref" in f && f.ref === id, socket.cursor)).frame.type === "pong";
        });
      }
      const late = await join(this.key, lane.meetingId, "late-joiner");
      const sender = lane.fuzzers[0]!;
      await retryUntil(async (attempt) => {
        const clientMessageId = `after-fuzz-${attempt}`;
        sender.send(JSON.stringify({ id: clientMessageId, type: "chat_send", clientMessageId, body: "still here" }));
        const sent = (f: ServerFrame) =>
          (f.type === "error" && f.ref === clientMessageId) || (f.type === "chat_message" && f.message.clientMessageId === clientMessageId);
        if ((await sender.waitFor(sent, sender.cursor)).frame.type === "error") return false;
        await late.waitFor(
          (f) => f.type === "chat_message" && f.message.clientMessageId === clientMessageId && f.message.body === "still here",
        );
        return true;
      });
      for (const socket of [...lane.fuzzers, lane.observer, late]) socket.close();
    }
  }
}

/** Opens a participant's socket and waits for its welcome. */
async function join(key: string, meetingId: string, identity: string): Promise<ProbeSocket> {
  const socket = await ProbeSocket.connect((await mintToken(key, meetingId, { identity, role: "participant", name: identity })).connectUrl);
  socket.send(JSON.stringify({ id: "hello", type: "hello", protocolVersion: 1 }));
  const { frame } = await socket.waitFor((f) => f.type === "welcome" || f.type === "error");
  expect(frame.type).toBe("welcome");
  return socket;
}

/** Retries a rate-limited action (each attempt resolves false when refused) for up to ~5 s. */
async function retryUntil(attempt: (n: number) => Promise<boolean>): Promise<void> {
  for (let n = 0; n < 20; n++) {
    if (await attempt(n)) return;
    await sleep(250);
  }
  throw new Error("still refused after 20 attempts");
}

// ---- Arbitraries ------------------------------------------------------------------------------------------

/** One valid frame of every client type, addressed to the observer; `satisfies` flags a protocol type missing here. */
const samples = {
  hello: { id: "s-hello", type: "hello", protocolVersion: 1, resumeFromSeq: 1 },
  ping: { id: "s-ping", type: "ping" },
  media_trouble: { id: "s-trouble", type: "media_trouble" },
  signal: {
    id: "s-signal",
    type: "signal",
    to: "observer",
    payload: { kind: "ice", candidate: { candidate: "candidate:1 1 udp 1 10.0.0.1 9 typ host", sdpMid: "0", sdpMLineIndex: 0 } },
  },
  presence: { id: "s-presence", type: "presence", audioMuted: true, handRaised: false, connectionQuality: "good" },
  chat_send: {
    id: "s-chat",
    type: "chat_send",
    clientMessageId: "fuzz-msg-0001",
    body: "hi",
    attachments: [{ objectKey: "t/m/a.png", name: "a.png", contentType: "image/png", sizeBytes: 10 }],
  },
  chat_edit: { id: "s-edit", type: "chat_edit", messageSeq: 1, body: "edited" },
  chat_delete: { id: "s-delete", type: "chat_delete", messageSeq: 1 },
  chat_react: { id: "s-react", type: "chat_react", messageSeq: 1, emoji: "👍", on: true },
  chat_history: { id: "s-history", type: "chat_history", beforeSeq: 100, limit: 5 },
  attachment_upload: { id: "s-upload", type: "attachment_upload", name: "a.pdf", contentType: "application/pdf", sizeBytes: 1234 },
  attachment_download: { id: "s-download", type: "attachment_download", objectKey: "t/m/attachments/u/a.pdf" },
  mute: { id: "s-mute", type: "mute", target: "observer", track: "audio" },
  mute_all: { id: "s-mute-all", type: "mute_all", track: "video" },
  remove: { id: "s-remove", type: "remove", target: "observer", reason: "fuzz" },
  lock: { id: "s-lock", type: "lock", locked: true },
  end_meeting: { id: "s-end", type: "end_meeting" },
  set_role: { id: "s-role", type: "set_role", target: "observer", role: "cohost" },
  spotlight: { id: "s-spotlight", type: "spotlight", target: "observer" },
  admit: { id: "s-admit", type: "admit", target: "observer" },
  deny: { id: "s-deny", type: "deny", target: "observer" },
  e2ee_publish_key: { id: "s-pub", type: "e2ee_publish_key", publicKey: { kty: "EC", crv: "P-256", x: "eA", y: "eQ" } },
  e2ee_key_package: { id: "s-pkg", type: "e2ee_key_package", to: "observer", keyId: 1, ciphertext: "Y2lwaGVy", iv: "aXY=" },
  // A stop with no recording running: refused, so the fuzzed room never starts capturing.
  recording: { id: "s-rec", type: "recording", action: "stop" },
  recording_consent: { id: "s-consent", type: "recording_consent", accept: false },
  recording_exclude: { id: "s-exclude", type: "recording_exclude", target: "observer", excluded: true },
  quality_event: {
    id: "s-event",
    type: "quality_event",
    event: { kind: "drop", eventId: "0d6f1c1e-9a0b-4d7e-8f57-3c2b1a0f9e8d", path: "sfu", cause: "ice_disconnected" },
  },
  quality_sample: {
    id: "s-quality",
    type: "quality_sample",
    sampleId: "5b0c4f8e-3c1a-4c55-9a64-2f4f5d1e7a10",
    windowMs: 5000,
    path: "p2p",
    candidateType: "host",
    tracks: [{ direction: "inbound", kind: "audio", rttMs: 20, jitterMs: 3, packetsLost: 0, packets: 250 }],
  },
} satisfies { [T in ClientFrameType]: Extract<ClientFrame, { type: T }> };

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every key path of a frame, nested ones included (`["payload", "candidate", "sdpMid"]`). */
function pathsOf(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  if (!value || typeof value !== "object") return [];
  const keys: (string | number)[] = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  return keys.flatMap((key) => [[...prefix, key], ...pathsOf((value as Record<string | number, Json>)[key]!, [...prefix, key])]);
}

const kindOf = (value: Json) => (value === null ? "null" : Array.isArray(value) ? "array" : typeof value);
/** A value of another JSON kind than `current`, for "wrong type" mutations. */
const otherKind = (current: Json, candidate: Json): Json =>
  kindOf(candidate) !== kindOf(current)
    ? candidate
    : ({ string: 42, number: "42", boolean: "true", null: {}, object: [], array: {} } as Record<string, Json>)[kindOf(current)]!;
/** Over the protocol's limits for whichever field it lands on: ids 64, targets 128, names 256, body 8000, sdp 32 KiB. */
const oversizedLengths = [65, 129, 257, 4097, 8001, 32 * 1024 + 1];
const oversizedNumbers = [-1, 0, 0.5, 2 ** 53 + 2, 1e308, -(2 ** 31)];

const mutation = fc.oneof(
  fc.record({ kind: fc.constant("missing" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("wrong_type" as const), at: fc.nat(), value: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json> }),
  fc.record({ kind: fc.constant("oversized" as const), at: fc.nat(), pick: fc.nat() }),
  fc.record({
    kind: fc.constant("extra_field" as const),
    at: fc.nat(),
    key: fc.string({ maxLength: 12 }),
    value: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
  }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(sample: Json, m: Mutation): Json {
  const frame = structuredClone(sample) as Record<string, Json>;
  const paths = pathsOf(frame);
  const path = paths[m.at % paths.length]!;
  const parent = path.slice(0, -1).reduce<Json>((node, key) => (node as Record<string | number, Json>)[key]!, frame) as Record<
    string | number,
    Json
  >;
  const key = path.at(-1)!;
  const current = parent[key]!;
  switch (m.kind) {
    case "missing":
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete parent[key];
      break;
    case "wrong_type":
      parent[key] = otherKind(current, m.value);
      break;
    case "oversized":
      if (typeof current === "string") parent[key] = current + "x".repeat(oversizedLengths[m.pick % oversizedLengths.length]!);
      else if (typeof current === "number") parent[key] = oversizedNumbers[m.pick % oversizedNumbers.length]!;
      else if (Array.isArray(current)) parent[key] = Array.from({ length: 6 + (m.pick % 5) }, () => current[0] ?? null);
      else if (current && typeof current === "object")
        parent[key] = { ...current, ...Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, i])) };
      else parent[key] = "x".repeat(oversizedLengths[m.pick % oversizedLengths.length]!);
      break;
    case "extra_field": {
      const target = current && typeof current === "object" && !Array.isArray(current) ? current : frame;
      (target as Record<string, Json>)[m.key] = m.value;
      break;
    }
  }
  return frame;
}

const anyId = fc.oneof(
  fc.string({ minLength: 1, maxLength: 64 }),
  fc.constant(""),
  fc.string({ minLength: 65, maxLength: 80 }),
  fc.integer(),
  fc.constant(null),
);
const anyType = fc.oneof(
  fc.constantFrom(...clientFrameTypes),
  fc.constantFrom("welcome", "error", "PING", "__proto__"),
  fc.string({ maxLength: 20 }),
  fc.jsonValue({ maxDepth: 1 }),
);
const fieldName = fc.oneof(
  fc.constantFrom("to", "payload", "body", "target", "track", "locked", "messageSeq", "publicKey", "clientMessageId", "protocolVersion"),
  fc.string({ maxLength: 10 }),
);
/** Objects shaped like frames: an id and a type of every sort, plus random fields under real and made-up names. */
const frameShaped = fc
  .tuple(
    fc.option(anyId, { nil: undefined }),
    fc.option(anyType, { nil: undefined }),
    fc.dictionary(fieldName, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
  )
  .map(([id, type, rest]) => ({ ...rest, ...(id !== undefined ? { id } : {}), ...(type !== undefined ? { type } : {}) }));

const randomText: fc.Arbitrary<Outgoing> = fc
  .oneof(
    fc.string({ unit: "binary", maxLength: 200 }),
    fc.string({ unit: "grapheme", maxLength: 200 }),
    // Almost-JSON: a JSON document cut short and with a few characters spliced in.
    fc
      .tuple(fc.json({ maxDepth: 3 }), fc.nat(), fc.string({ maxLength: 3 }))
      .map(([json, at, junk]) => json.slice(0, at % (json.length + 1)) + junk),
  )
  .map((text) => ({ text }));

const randomJson: fc.Arbitrary<Outgoing> = fc
  .oneof(fc.jsonValue({ maxDepth: 4 }), frameShaped)
  .map((value) => ({ text: JSON.stringify(value) }));

const mutatedFrame: fc.Arbitrary<Outgoing> = fc
  .tuple(fc.constantFrom(...(Object.values(samples) as Json[])), mutation)
  .map(([sample, m]) => ({ text: JSON.stringify(mutate(sample, m)) }));

/** Exactly `bytes` long in UTF-8: a ping padded with `fill` (multi-byte fills count bytes, not characters). */
function paddedPing(bytes: number, fill: string): string {
  const head = `{"id":"big","type":"ping","pad":"`;
  const tail = `"}`;
  let room = bytes - Buffer.byteLength(head + tail);
  const unit = Buffer.byteLength(fill);
  const body = fill.repeat(Math.floor(room / unit));
  room -= Buffer.byteLength(body);
  return head + body + "x".repeat(room) + tail;
}

const binaryOrHuge: fc.Arbitrary<Outgoing> = fc.oneof(
  fc.uint8Array({ maxLength: 1024 }).map((bytes) => ({ bytes })),
  fc.constantFrom(...Object.values(samples)).map((sample) => ({ bytes: new TextEncoder().encode(JSON.stringify(sample)) })),
  fc
    .tuple(fc.integer({ min: 1, max: 64 }), fc.constantFrom("x", "é", "€", "😀"))
    .map(([over, fill]) => ({ text: paddedPing(maxFrameBytes + over, fill) })),
  fc.integer({ min: 1, max: 64 }).map((over) => ({ bytes: new Uint8Array(maxFrameBytes + over).fill(0x7b) })),
  // The boundary itself: a frame of exactly 64 KiB is valid and answered with pong.
  fc.constantFrom("x", "é").map((fill) => ({ text: paddedPing(maxFrameBytes, fill) })),
);

// ---- Properties ------------------------------------------------------------------------------------------

let key: string;
beforeAll(async () => {
  ({ apiKey: key } = await newTenant("frame-fuzz"));
});

/** Runs one property over a fresh barrage (4 meetings × 2 fuzzers), then checks that every room still serves. */
async function fuzz(label: string, frames: fc.Arbitrary<Outgoing>, numRuns: number): Promise<Tally> {
  const barrage = await Barrage.open(key, label, 4, 2);
  const started = Date.now();
  // The time limit keeps a loaded machine under the test timeout; the count check below keeps the run meaningful.
  await fc.assert(
    fc.asyncProperty(frames, (out) => barrage.exchange(out)),
    { numRuns, interruptAfterTimeLimit: 15_000, markInterruptAsFailure: false },
  );
  const { tally } = barrage;
  const sent = tally.bad + tally.valid + tally.skipped;
  console.info(
    `[frame-fuzz] ${label}: ${sent} frames in ${Date.now() - started} ms; ${tally.bad} bad (${tally.decoded} refused by the decoder, ` +
      `${tally.bad - tally.decoded} rate_limited), ${tally.valid} valid, ${tally.skipped} skipped; ${JSON.stringify(tally.codes)}`,
  );
  expect(sent).toBeGreaterThanOrEqual(numRuns / 4);
  // Pacing check: the decoder's own refusals must show, not only the rate limiter's.
  expect(tally.decoded).toBeGreaterThan(tally.bad / 10);
  await barrage.expectStillServing();
  return tally;
}

describe("MeetingRoom under random and mutated frames (fast-check, real WebSockets)", () => {
  it("random text, including lone surrogates and almost-JSON: one error each, connections and room stay up", async () => {
    const tally = await fuzz("text", randomText, 800);
    expect(tally.codes.malformed_frame).toBeGreaterThan(0);
  }, 45_000);

  it("arbitrary JSON values and frame-shaped objects: one error each with ref when the id is usable", async () => {
    const tally = await fuzz("json", randomJson, 800);
    expect(tally.codes.unknown_frame_type).toBeGreaterThan(0);
  }, 45_000);

  it("valid frames of every type with one field missing, mistyped, oversized or added", async () => {
    const tally = await fuzz("mutated", mutatedFrame, 1200);
    expect(tally.codes.invalid_frame).toBeGreaterThan(0);
    expect(tally.valid).toBeGreaterThan(0);
  }, 45_000);

  it("binary frames and frames just over 64 KiB: malformed_frame or frame_too_large, never a close", async () => {
    const tally = await fuzz("binary-huge", binaryOrHuge, 400);
    expect(tally.codes.frame_too_large).toBeGreaterThan(0);
  }, 45_000);
});

describe("MeetingRoom findings from the fuzzing", () => {
  /**
   * Regression: an `invalid_frame` message used to quote unrecognized keys verbatim, so ~60 KB frames grew
   * the stored frame log until every storage write failed (SQLITE_TOOBIG) and the room answered everyone
   * with internal_error. Error messages are now bounded. Still open (see the issue note): the room stores
   * its whole state per event, so large *valid* frames (repeated welcomes with a long chat) can reach the
   * same limit; the fix is per-entry storage keys.
   */
  it("bad frames that echo a 60 KB unrecognized key cannot push the room past its storage limit", async () => {
    const { id: meetingId } = await createMeeting(key, { title: "fuzz finding: state size", waitingRoom: false });
    const victim = await join(key, meetingId, "victim");
    const { connectUrl } = await mintToken(key, meetingId, { identity: "attacker", role: "guest" });
    const echoed = JSON.stringify({
      id: "echo",
      type: "e2ee_publish_key",
      publicKey: { kty: "EC", crv: "P-256", x: "eA", ["k".repeat(60_000)]: 1 },
    });
    const codes: Record<string, number> = {};
    for (let round = 0; round < 10; round++) {
      const attacker = await ProbeSocket.connect(connectUrl);
      for (let i = 0; i < 20; i++) {
        const from = attacker.frames.length;
        attacker.send(echoed);
        const { frame } = await attacker.waitFor((f) => f.type === "error", from);
        if (frame.type === "error") codes[frame.code] = (codes[frame.code] ?? 0) + 1;
      }
      attacker.close();
    }
    const from = victim.frames.length;
    victim.send(JSON.stringify({ id: "victim-ping", type: "ping" }));
    const { frame } = await victim.waitFor((f) => f.type === "pong" || f.type === "error", from);
    victim.close();
    // Today (local workerd): { invalid_frame: ~140, internal_error: ~60 }, and the victim's ping gets internal_error.
    expect({ codes, victim: frame.type === "error" ? frame.code : frame.type }).toEqual({ codes: { invalid_frame: 200 }, victim: "pong" });
  }, 40_000);
});
