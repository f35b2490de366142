import type { VerifiedParticipant } from "../../../protocol/room-contract.ts";
import { isControlFrame, type ServerFrame } from "../../../protocol/server-frames.ts";
import { coalesceWindowMs } from "../core/coalesce-window.ts";
import { isAddressedTo, type Audience } from "../core/frame-log.ts";
import type { FrameRateState } from "../core/frame-rate-limit.ts";

/** What each hibernatable socket carries across evictions: who it is. */
interface SocketAttachment {
  identity: string;
  claims: VerifiedParticipant;
}

/**
 * Per-socket memory that need not survive hibernation: the decoded attachment (read once, not per frame) and
 * the rate-limit buckets (a room only hibernates when idle, and idle buckets are full anyway).
 */
export interface SocketMemory {
  attachment: SocketAttachment;
  rate: FrameRateState;
}

type BareError = Omit<Extract<ServerFrame, { type: "error" }>, "seq">;

/** Runs `flush` after `delayMs` (0: once the room's current turn is over); the runtime's timer by default. */
export type FlushScheduler = (flush: () => void, delayMs: number) => void;

/**
 * The room's hibernating WebSockets, tagged by identity: accepting, addressing and closing them. Frames are
 * queued per socket and sent when the current turn ends: one frame as itself, several as one `batch` message
 * (protocol/server-frames.ts), so a busy room pays one send (and one compression) per socket per turn, not per frame.
 * A socket flushed less than a coalescing window ago (core/coalesce-window.ts, longer in larger rooms) waits out the
 * rest of it, so under load the frames of several events go out together; a quiet room sends at the end of the turn.
 * Only chat waits: a control frame (`isControlFrame`) sends its socket's whole queue at the end of the turn, so a
 * chat flood can't delay joins or host controls.
 */
export class RoomSockets {
  private readonly memory = new WeakMap<WebSocket, SocketMemory>();
  /** Serialised frames per socket, in seq order, waiting for the end of the turn. */
  private readonly queued = new Map<WebSocket, Queued>();
  private flushPending = false;
  /** The pending flush runs at the end of the turn (not after the rest of a coalescing window). */
  private flushAtEndOfTurn = false;
  /** Sockets holding a control frame while the full flush waits out a window: they flush at the end of the turn. */
  private readonly urgent = new Set<WebSocket>();
  private urgentFlushPending = false;
  private lastFlushAt = Number.NEGATIVE_INFINITY;
  /** Every open socket, asked of the runtime once per change rather than once per frame. */
  private everyone: WebSocket[] | null = null;
  /** Runs before anything is sent or closed: the room's deferred storage writes go first (RoomStore.writeDeferred). */
  private beforeSend: () => void = () => {};

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly scheduleFlush: FlushScheduler = (flush, delayMs) => setTimeout(flush, delayMs),
    private readonly now: () => number = Date.now,
  ) {}

  /** One socket per identity: a second connection (new tab, reconnect racing the old close) replaces the first. */
  accept(claims: VerifiedParticipant, replacedCode: number): Response {
    for (const old of this.ctx.getWebSockets(claims.identity)) this.closeSocket(old, replacedCode, "replaced by a newer connection");
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server, [claims.identity]);
    this.everyone = null;
    const attachment: SocketAttachment = { identity: claims.identity, claims };
    server.serializeAttachment(attachment);
    this.memory.set(server, { attachment, rate: {} });
    return new Response(null, { status: 101, webSocket: client });
  }

  /** Sets what must happen before any send: see `beforeSend`. */
  onBeforeSend(hook: () => void): void {
    this.beforeSend = hook;
  }

  /** Whether frames wait for a flush (which will run `beforeSend`). */
  hasQueued(): boolean {
    return this.queued.size > 0;
  }

  of(socket: WebSocket): SocketMemory {
    let memory = this.memory.get(socket);
    if (!memory) {
      memory = { attachment: socket.deserializeAttachment() as SocketAttachment, rate: {} };
      this.memory.set(socket, memory);
    }
    return memory;
  }

  /** A socket closed or failed: the next delivery asks the runtime which are open. */
  forget(): void {
    this.everyone = null;
  }

  /** Whether the identity still has another open socket (a replaced socket closing must not end its successor's seat). */
  hasOtherOpen(socket: WebSocket, identity: string): boolean {
    return this.ctx.getWebSockets(identity).some((s) => s !== socket && s.readyState === WebSocket.OPEN);
  }

  deliver(audience: Audience, frame: ServerFrame): void {
    // Serialised once per frame, not once per recipient: a busy meeting sends each frame to everyone.
    const text = JSON.stringify(frame);
    const control = isControlFrame(frame.type);
    const sockets =
      audience.kind === "only" ? audience.identities.flatMap((identity) => this.ctx.getWebSockets(identity)) : this.openSockets();
    for (const socket of sockets) {
      if (audience.kind !== "all_except" || isAddressedTo(audience, this.of(socket).attachment.identity))
        this.enqueue(socket, text, control);
    }
  }

  replay(identity: string, frames: readonly ServerFrame[]): void {
    const texts = frames.map((frame) => ({ text: JSON.stringify(frame), control: isControlFrame(frame.type) }));
    for (const socket of this.ctx.getWebSockets(identity)) for (const { text, control } of texts) this.enqueue(socket, text, control);
  }

  /** Closes after the frames already queued for the socket (a `removed` or `meeting_ended` goes out first). */
  close(identity: string, code: number, reason: string): void {
    for (const socket of this.ctx.getWebSockets(identity)) this.closeSocket(socket, code, reason);
  }

  /** Last resort when the room can't answer through its reducer: an unsequenced error frame. */
  sendBare(socket: WebSocket, frame: BareError): void {
    this.enqueue(socket, JSON.stringify(frame), true);
  }

  /** Sends everything queued: per socket one message, a batch when the turn produced several frames for it. */
  flush(): void {
    this.flushPending = false;
    this.lastFlushAt = this.now();
    if (this.queued.size) this.beforeSend();
    // Sockets that got the same frames (everyone, in a chatting room) share one message, built once.
    let shared: { texts: readonly string[]; message: string } | undefined;
    for (const [socket, { texts }] of this.queued) {
      if (!shared || !sameTexts(shared.texts, texts)) shared = { texts, message: asMessage(texts) };
      sendText(socket, shared.message);
    }
    this.queued.clear();
    this.urgent.clear();
  }

  /** Sends the queues of the sockets that got a control frame during a coalescing window; the rest keep waiting. */
  private flushUrgent(): void {
    this.urgentFlushPending = false;
    if (this.urgent.size) this.beforeSend();
    for (const socket of this.urgent) {
      const queue = this.queued.get(socket);
      if (!queue) continue;
      this.queued.delete(socket);
      sendText(socket, asMessage(queue.texts));
    }
    this.urgent.clear();
  }

  private enqueue(socket: WebSocket, text: string, control: boolean): void {
    let queue = this.queued.get(socket);
    if (queue && queue.chars + text.length > maxBatchChars) {
      // Keep each message about as large as one frame at most: send what is queued now, in order.
      this.beforeSend();
      sendText(socket, asMessage(queue.texts));
      queue = undefined;
    }
    if (queue) {
      queue.texts.push(text);
      queue.chars += text.length;
    } else this.queued.set(socket, { texts: [text], chars: text.length });
    if (!this.flushPending) {
      this.flushPending = true;
      const sinceLast = this.now() - this.lastFlushAt;
      const windowMs = coalesceWindowMs(this.openSockets().length);
      this.flushAtEndOfTurn = sinceLast >= windowMs;
      this.scheduleFlush(() => this.flush(), this.flushAtEndOfTurn ? 0 : windowMs - sinceLast);
    }
    // The whole queue goes, not just the control frame: everything queued before it has a lower seq.
    if (!control || this.flushAtEndOfTurn) return;
    this.urgent.add(socket);
    if (this.urgentFlushPending) return;
    this.urgentFlushPending = true;
    this.scheduleFlush(() => this.flushUrgent(), 0);
  }

  private openSockets(): WebSocket[] {
    this.everyone ??= this.ctx.getWebSockets();
    return this.everyone;
  }

  private closeSocket(socket: WebSocket, code: number, reason: string): void {
    this.everyone = null;
    this.beforeSend();
    const queue = this.queued.get(socket);
    if (queue) {
      this.queued.delete(socket);
      sendText(socket, asMessage(queue.texts));
    }
    closeQuietly(socket, code, reason);
  }
}

/** A batch never grows past this (frames are at most 64 KiB each), so a message stays about as large as one frame. */
const maxBatchChars = 64 * 1024;

interface Queued {
  texts: string[];
  chars: number;
}

/** The frames are already JSON: a batch is spliced from their text, never parsed and serialised again. */
function asMessage(texts: readonly string[]): string {
  return texts.length === 1 ? texts[0]! : `{"type":"batch","frames":[${texts.join(",")}]}`;
}

function sameTexts(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sendText(socket: WebSocket, text: string): void {
  try {
    socket.send(text);
  } catch {
    /* closing socket */
  }
}

function closeQuietly(socket: WebSocket, code: number, reason: string): void {
  try {
    socket.close(code, reason);
  } catch {
    /* already closed */
  }
}
