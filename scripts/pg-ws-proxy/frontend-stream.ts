/**
 * Follows the message framing of the client→server half of a Postgres connection, to notice Terminate.
 *
 * Why: a server may leave the socket open after Terminate (PGlite's socket server does), and the Neon driver
 * waits for the close, so `pool.end()` hangs. The proxy ends the tunnel itself once Terminate has passed.
 * Framing (not a byte search) matters: 'X' is a common byte inside queries and passwords.
 */
export type FrontendPhase =
  /** Untyped messages: StartupMessage, SSLRequest, GSSENCRequest, CancelRequest. */
  | "startup"
  /** Regular messages: type byte, int32 length (counting itself), body. */
  | "typed"
  /** The client sent Terminate; nothing after it matters. */
  | "terminated"
  /** Encrypted or unrecognisable bytes: stop interpreting and leave closing to the two ends. */
  | "opaque";

export interface FrontendStreamState {
  readonly phase: FrontendPhase;
  /** Header bytes of the current message read so far; a header may be split across chunks. */
  readonly header: readonly number[];
  /** Body bytes of the current message not yet seen. */
  readonly remaining: number;
}

export const initialFrontendState: FrontendStreamState = { phase: "startup", header: [], remaining: 0 };

const startupHeaderLength = 8; // int32 length + int32 protocol version or request code
const typedHeaderLength = 5; // type byte + int32 length
const sslRequestCode = 80877103;
const gssEncRequestCode = 80877104;
const cancelRequestCode = 80877102;
// Postgres itself rejects startup packets above this (MAX_STARTUP_PACKET_LENGTH); a TLS ClientHello
// read as a length is far larger, so it lands in "opaque".
const maxStartupLength = 10_000;
const terminateType = 0x58; // 'X'

const int32 = (bytes: readonly number[], at: number) =>
  (((bytes[at] ?? 0) << 24) | ((bytes[at + 1] ?? 0) << 16) | ((bytes[at + 2] ?? 0) << 8) | (bytes[at + 3] ?? 0)) >>> 0;

/** Consumes one chunk of client bytes and returns the new state; the input state is not modified. */
export function scanFrontendBytes(state: FrontendStreamState, chunk: Uint8Array): FrontendStreamState {
  let { phase, remaining } = state;
  let header = [...state.header];
  let at = 0;
  while (at < chunk.length && (phase === "startup" || phase === "typed")) {
    if (remaining > 0) {
      const skipped = Math.min(remaining, chunk.length - at);
      remaining -= skipped;
      at += skipped;
      continue;
    }
    const wanted = phase === "startup" ? startupHeaderLength : typedHeaderLength;
    const take = Math.min(wanted - header.length, chunk.length - at);
    for (let i = 0; i < take; i++) header.push(chunk[at + i] ?? 0);
    at += take;
    if (header.length < wanted) break;
    ({ phase, remaining } = phase === "startup" ? afterStartupHeader(header) : afterTypedHeader(header));
    header = [];
  }
  return { phase, header, remaining };
}

function afterStartupHeader(header: readonly number[]): { phase: FrontendPhase; remaining: number } {
  const length = int32(header, 0);
  const code = int32(header, 4);
  // The server answers these with one byte; if it said 'N' the client sends a StartupMessage next,
  // if it said 'S'/'G' an encrypted handshake follows, which then reads as an impossible length.
  if ((code === sslRequestCode || code === gssEncRequestCode) && length === startupHeaderLength) {
    return { phase: "startup", remaining: 0 };
  }
  // A cancel connection carries nothing else; the server closes it.
  if (code === cancelRequestCode) return { phase: "opaque", remaining: 0 };
  if (code >>> 16 === 3 && length >= startupHeaderLength && length <= maxStartupLength) {
    return { phase: "typed", remaining: length - startupHeaderLength };
  }
  return { phase: "opaque", remaining: 0 };
}

function afterTypedHeader(header: readonly number[]): { phase: FrontendPhase; remaining: number } {
  const type = header[0];
  const length = int32(header, 1);
  if (length < 4) return { phase: "opaque", remaining: 0 };
  if (type === terminateType && length === 4) return { phase: "terminated", remaining: 0 };
  return { phase: "typed", remaining: length - 4 };
}
