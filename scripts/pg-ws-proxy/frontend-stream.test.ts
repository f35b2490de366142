import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type FrontendStreamState, initialFrontendState, scanFrontendBytes } from "./frontend-stream.ts";

// Builders for client→server messages, as the driver writes them.
const int32 = (n: number) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const startup = (params: Record<string, string>) => {
  const body = [...int32(196608), ...Buffer.from(Object.entries(params).flat().join("\0") + "\0\0")];
  return [...int32(body.length + 4), ...body];
};
const typed = (type: string, body: number[]) => [type.charCodeAt(0), ...int32(body.length + 4), ...body];
const text = (s: string) => [...Buffer.from(`${s}\0`)];
const sslRequest = [...int32(8), ...int32(80877103)];
const terminate = typed("X", []);

const scanAll = (chunks: number[][], state: FrontendStreamState = initialFrontendState) =>
  chunks.reduce((s, chunk) => scanFrontendBytes(s, Uint8Array.from(chunk)), state);

// A session full of 'X' bytes in the wrong places: in the user name, the password and the query.
const session = [
  ...startup({ user: "X", database: "XX" }),
  ...typed("p", text("XXXX")),
  ...typed("Q", text("select 'X' as x")),
  ...typed("P", [0, ...text("select 1"), 0, 0]),
  ...typed("S", []),
];

describe("scanFrontendBytes", () => {
  it("sees Terminate after startup, authentication and queries", () => {
    expect(scanAll([session]).phase).toBe("typed");
    expect(scanAll([[...session, ...terminate]]).phase).toBe("terminated");
  });

  it("does not mistake an 'X' byte inside a message for Terminate", () => {
    const lookalike = typed("Q", [0x58, 0, 0, 0, 4, 0]);
    expect(scanAll([[...session, ...lookalike]]).phase).toBe("typed");
  });

  it("follows a declined SSLRequest into the StartupMessage", () => {
    expect(scanAll([sslRequest, [...session, ...terminate]]).phase).toBe("terminated");
  });

  it("stops interpreting once TLS starts, so encrypted bytes never end a tunnel", () => {
    const clientHello = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, ...terminate];
    expect(scanAll([sslRequest, clientHello]).phase).toBe("opaque");
  });

  it("gives up on a corrupt length rather than guess", () => {
    expect(scanAll([[...session, 0x51, 0, 0, 0, 2, ...terminate]]).phase).toBe("opaque");
    expect(scanAll([[0, 0, 0, 3, 0, 3, 0, 0]]).phase).toBe("opaque");
  });

  it("finds Terminate however the stream is cut into WebSocket messages", () => {
    const stream = [...session, ...terminate];
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 12 }), (cuts) => {
        const bounds = [0, ...cuts.sort((a, b) => a - b), stream.length];
        const chunks = bounds.slice(1).map((end, i) => stream.slice(bounds[i], end));
        const states = chunks.map((_, i) => scanAll(chunks.slice(0, i + 1)));
        // Terminated exactly when the last byte of Terminate has been seen, not before.
        expect(states.at(-1)?.phase).toBe("terminated");
        expect(states.slice(0, -1).every((s) => s.phase === "typed" || s.phase === "startup")).toBe(true);
      }),
    );
  });

  it("leaves the state it was given untouched", () => {
    const before = scanAll([session.slice(0, 10)]);
    const snapshot = structuredClone(before);
    scanFrontendBytes(before, Uint8Array.from(session.slice(10)));
    expect(before).toEqual(snapshot);
  });
});
