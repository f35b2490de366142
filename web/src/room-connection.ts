import type { ClientFrame } from "../../protocol/client-frames.ts";
import { closeCodes, terminalCloseCodes } from "../../protocol/close-codes.ts";
import { protocolVersion } from "../../protocol/protocol-version.ts";
import { framesOf, serverMessageSchema, type ServerFrame } from "../../protocol/server-frames.ts";
import { randomId } from "./random-id.ts";
import { reconnectDelayMs } from "./reconnect-backoff.ts";

/**
 * The meeting-room WebSocket: `hello` first, every frame validated against the shared protocol, the last
 * `seq` remembered, pings every 20 s, and on an unexpected close a reconnect with backoff that asks to
 * resume from that `seq`. Knows nothing of the UI or media; the session reacts to frames and statuses.
 */
type WithoutId<F> = F extends ClientFrame ? Omit<F, "id"> : never;
/** A client frame before the connection gives it its unique `id`. */
export type OutgoingFrame = WithoutId<ClientFrame>;

export type ConnectionStatus =
  | { kind: "connecting" }
  | { kind: "open" }
  | { kind: "reconnecting"; attempt: number; inMs: number }
  | { kind: "closed"; code: number; reason: string };

/** Thrown by the connect-URL provider when trying again is pointless (meeting ended or gone). */
export class TerminalConnectError extends Error {}

export interface RoomConnectionOptions {
  /** Returns the URL to open; `attempt` counts failures in a row, so the provider can mint a fresh token. */
  connectUrl(attempt: number): Promise<string>;
  onFrame(frame: ServerFrame): void;
  onStatus(status: ConnectionStatus): void;
  onInvalidFrame(detail: string): void;
  createSocket?: (url: string) => WebSocket;
}

const terminalFrames: ReadonlySet<ServerFrame["type"]> = new Set(["meeting_ended", "removed", "denied"]);
const pingIntervalMs = 20_000;
/** No frame at all (not even a pong) for this long means the socket is dead though not yet closed. */
const silenceLimitMs = 50_000;

export class RoomConnection {
  private socket: WebSocket | null = null;
  private lastSeq = 0;
  private failures = 0;
  private stopped = false;
  private terminal = false;
  private lastHeardAt = 0;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly options: RoomConnectionOptions) {}

  get seq(): number {
    return this.lastSeq;
  }

  get isOpen(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  start(): void {
    this.options.onStatus({ kind: "connecting" });
    void this.open();
  }

  /** Sends a frame with a fresh id and returns the id, or null when the socket is not open. */
  send(frame: OutgoingFrame): string | null {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) return null;
    const id = randomId(12);
    this.socket.send(JSON.stringify({ ...frame, id }));
    return id;
  }

  /** Leaves on purpose: no reconnect. */
  close(reason = "left"): void {
    this.stopped = true;
    this.clearTimers();
    this.socket?.close(1000, reason);
  }

  private async open(): Promise<void> {
    let url: string;
    try {
      url = await this.options.connectUrl(this.failures);
    } catch (error) {
      if (error instanceof TerminalConnectError) return this.finish(closeCodes.ended, error.message);
      return this.scheduleRetry();
    }
    if (this.stopped) return;
    const socket = (this.options.createSocket ?? ((target) => new WebSocket(target)))(url);
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.lastHeardAt = Date.now();
      // Resume only once the room has sent us something; seq 0 means "never joined", so ask for a welcome.
      this.send({ type: "hello", protocolVersion, ...(this.lastSeq > 0 ? { resumeFromSeq: this.lastSeq } : {}) });
      this.startPinging();
      this.options.onStatus({ kind: "open" });
    });
    socket.addEventListener("message", (event) => this.receive(event.data));
    socket.addEventListener("close", (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.clearTimers();
      if (this.stopped || this.terminal || terminalCloseCodes.has(event.code)) return this.finish(event.code, event.reason);
      this.scheduleRetry();
    });
  }

  private receive(data: unknown): void {
    this.lastHeardAt = Date.now();
    if (typeof data !== "string") return this.options.onInvalidFrame("binary frame");
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      return this.options.onInvalidFrame("frame is not JSON");
    }
    const parsed = serverMessageSchema.safeParse(json);
    if (!parsed.success) {
      const type = typeof json === "object" && json !== null && "type" in json ? String(json.type) : "unknown";
      return this.options.onInvalidFrame(`invalid "${type}" frame: ${parsed.error.issues[0]?.message ?? "schema mismatch"}`);
    }
    // A busy room sends several frames as one batch message; each is handled as if it had come alone.
    for (const frame of framesOf(parsed.data)) this.take(frame);
  }

  private take(frame: ServerFrame): void {
    // A healthy exchange resets the backoff; frames replayed after `resumed` may repeat a seq we already have.
    if (frame.type === "welcome" || frame.type === "resumed" || frame.type === "waiting_room") this.failures = 0;
    if (frame.seq > this.lastSeq || frame.type === "welcome") this.lastSeq = frame.seq;
    if (terminalFrames.has(frame.type)) this.terminal = true;
    this.options.onFrame(frame);
  }

  private startPinging(): void {
    this.pingTimer = setInterval(() => {
      if (Date.now() - this.lastHeardAt > silenceLimitMs) return this.abandonSilentSocket();
      this.send({ type: "ping" });
    }, pingIntervalMs);
  }

  /** A dead link may take minutes to report its close, so stop listening to it and reconnect now. */
  private abandonSilentSocket(): void {
    const socket = this.socket;
    this.socket = null;
    this.clearTimers();
    socket?.close(4100, "silent");
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.stopped) return;
    const inMs = reconnectDelayMs(this.failures);
    this.failures += 1;
    this.options.onStatus({ kind: "reconnecting", attempt: this.failures, inMs });
    this.retryTimer = setTimeout(() => void this.open(), inMs);
  }

  private finish(code: number, reason: string): void {
    this.stopped = true;
    this.clearTimers();
    this.options.onStatus({ kind: "closed", code, reason });
  }

  private clearTimers(): void {
    clearInterval(this.pingTimer);
    clearTimeout(this.retryTimer);
  }
}
