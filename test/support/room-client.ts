import WebSocket from "ws";
import type { ClientFrame } from "../../protocol/client-frames.ts";
import { framesOf, serverMessageSchema, type ServerFrame } from "../../protocol/server-frames.ts";

type Outgoing = ClientFrame extends infer F ? (F extends ClientFrame ? Omit<F, "id"> & { id?: string } : never) : never;

/** A protocol-speaking WebSocket client for tests: validates every message it receives against the shared schema and unwraps batches. */
export class RoomClient {
  readonly frames: ServerFrame[] = [];
  closed: { code: number; reason: string } | undefined;
  private counter = 0;

  private constructor(readonly socket: WebSocket) {
    socket.on("message", (data) => this.frames.push(...framesOf(serverMessageSchema.parse(JSON.parse(String(data))))));
    socket.on("close", (code, reason) => (this.closed = { code, reason: String(reason) }));
  }

  static async open(connectUrl: string): Promise<RoomClient> {
    const socket = new WebSocket(connectUrl);
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
    });
    return new RoomClient(socket);
  }

  /** Opens and says hello; resolves when the first answer (welcome, waiting_room, resumed or error) arrives. */
  static async join(connectUrl: string, resumeFromSeq?: number): Promise<RoomClient> {
    const client = await RoomClient.open(connectUrl);
    client.send({ type: "hello", protocolVersion: 1, ...(resumeFromSeq !== undefined ? { resumeFromSeq } : {}) });
    await client.next((f) => ["welcome", "waiting_room", "resumed", "error"].includes(f.type));
    return client;
  }

  /** Pings every `everyMs` like a real client, so the room's heartbeat timeout never drops a long-lived test client. */
  keepAlive(everyMs = 15_000): void {
    const timer = setInterval(() => {
      if (this.socket.readyState === WebSocket.OPEN) this.send({ type: "ping" });
      else clearInterval(timer);
    }, everyMs);
    timer.unref();
  }

  send(frame: Outgoing): string {
    const id = frame.id ?? `f${++this.counter}`;
    this.socket.send(JSON.stringify({ ...frame, id }));
    return id;
  }

  sendRaw(data: string | Buffer): void {
    this.socket.send(data);
  }

  /** Waits for a frame (already received or future) matching `match`, after `afterIndex`. */
  async next<T extends ServerFrame = ServerFrame>(match: (frame: ServerFrame) => boolean, timeoutMs = 5000, afterIndex = 0): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const found = this.frames.slice(afterIndex).find(match);
      if (found) return found as T;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames.map((f) => f.type))}`);
  }

  ofType<K extends ServerFrame["type"]>(type: K): Extract<ServerFrame, { type: K }>[] {
    return this.frames.filter((f): f is Extract<ServerFrame, { type: K }> => f.type === type);
  }

  lastSeq(): number {
    return Math.max(0, ...this.frames.map((f) => f.seq));
  }

  async waitClosed(timeoutMs = 5000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    if (!this.closed) throw new Error("socket did not close");
    return this.closed;
  }

  /** Drops the connection without a close handshake, like a lost network. */
  drop(): void {
    this.socket.terminate();
  }

  close(): void {
    this.socket.close(1000);
  }
}
