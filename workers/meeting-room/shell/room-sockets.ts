import type { VerifiedParticipant } from "../../../protocol/room-contract.ts";
import { isControlFrame, type ServerFrame } from "../../../protocol/server-frames.ts";
import { coalesceWindowMs } from "../core/coalesce-window.ts";
import type { Audience } from "../core/frame-log.ts";
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
 * queued and sent when the current turn ends: one frame as itself, several as one `batch` message
 * (protocol/server-frames.ts), so a busy room pays one send (and one compression) per socket per turn, not per frame.
 * Frames for everyone (chat, most of a busy room's traffic) are queued once for the room, not once per socket, and
 * their message is built once; a socket whose frames differ since the last flush (it was sent a frame of its own,
 * left out of one, accepted or flushed early) keeps its own queue until the next flush.
 * A socket flushed less than a coalescing window ago (core/coalesce-window.ts, longer in larger rooms) waits out the
 * rest of it, so under load the frames of several events go out together; a quiet room sends at the end of the turn.
 * Only chat waits: a control frame (`isControlFrame`) sends its socket's whole queue at the end of the turn, so a
 * chat flood can't delay joins or host controls.
 */
export class RoomSockets {
  private readonly memory = new WeakMap<WebSocket, SocketMemory>();
  /** Serialised frames for every open socket without a queue of its own, in seq order, waiting for the flush. */
  private shared: Queued = emptyQueue();
  /** Sockets whose frames since the last flush are not `shared`: their whole queue, in seq order. */
  private readonly own = new Map<WebSocket, Queued>();
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
    // Frames queued for everyone before it arrived are not its own: it starts with a queue of its own, empty.
    if (this.shared.texts.length) this.own.set(server, emptyQueue());
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
    if (this.shared.texts.length) return true;
    for (const queue of this.own.values()) if (queue.texts.length) return true;
    return false;
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

  /** The verified claims an open socket of the identity was accepted with (undefined: none is open). */
  claimsOf(identity: string): VerifiedParticipant | undefined {
    const socket = this.ctx.getWebSockets(identity).find((s) => s.readyState === WebSocket.OPEN);
    return socket && this.of(socket).attachment.claims;
  }

  /** Whether the identity still has another open socket (a replaced socket closing must not end its successor's seat). */
  hasOtherOpen(socket: WebSocket, identity: string): boolean {
    return this.ctx.getWebSockets(identity).some((s) => s !== socket && s.readyState === WebSocket.OPEN);
  }

  deliver(audience: Audience, frame: ServerFrame): void {
    // Serialised once per frame, not once per recipient: a busy meeting sends each frame to everyone.
    const text = JSON.stringify(frame);
    const control = isControlFrame(frame.type);
    if (audience.kind === "only") {
      for (const identity of audience.identities)
        for (const socket of this.ctx.getWebSockets(identity)) this.enqueueOwn(socket, text, control);
      return;
    }
    const left = audience.kind === "all_except" ? audience.identities.flatMap((identity) => this.ctx.getWebSockets(identity)) : [];
    this.enqueueShared(text, control, left);
  }

  replay(identity: string, frames: readonly ServerFrame[]): void {
    const texts = frames.map((frame) => ({ text: JSON.stringify(frame), control: isControlFrame(frame.type) }));
    for (const socket of this.ctx.getWebSockets(identity)) for (const { text, control } of texts) this.enqueueOwn(socket, text, control);
  }

  /** Closes after the frames already queued for the socket (a `removed` or `meeting_ended` goes out first). */
  close(identity: string, code: number, reason: string): void {
    for (const socket of this.ctx.getWebSockets(identity)) this.closeSocket(socket, code, reason);
  }

  /** Last resort when the room can't answer through its reducer: an unsequenced error frame. */
  sendBare(socket: WebSocket, frame: BareError): void {
    this.enqueueOwn(socket, JSON.stringify(frame), true);
  }

  /** Sends everything queued: per socket one message, a batch when the turn produced several frames for it. */
  flush(): void {
    this.flushPending = false;
    this.lastFlushAt = this.now();
    const { shared, own } = this;
    if (this.hasQueued()) {
      this.beforeSend();
      if (shared.texts.length) {
        // Built once for every socket that has no queue of its own.
        const message = asMessage(shared.texts);
        for (const socket of this.openSockets()) if (!own.has(socket)) sendText(socket, message);
      }
      for (const [socket, queue] of own) if (queue.texts.length) sendText(socket, asMessage(queue.texts));
    }
    this.shared = emptyQueue();
    own.clear();
    this.urgent.clear();
  }

  /** Sends the queues of the sockets that got a control frame during a coalescing window; the rest keep waiting. */
  private flushUrgent(): void {
    this.urgentFlushPending = false;
    if (this.urgent.size) this.beforeSend();
    for (const socket of this.urgent) this.sendOwnNow(socket);
    this.urgent.clear();
  }

  /** A frame for every open socket but those `left` out. */
  private enqueueShared(text: string, control: boolean, left: readonly WebSocket[]): void {
    // Keep each message about as large as one frame at most: send everything queued now, in order.
    if (this.shared.chars + text.length > maxBatchChars) this.flush();
    // Left out of this one frame: their queues part from everyone's here (after that flush, which ends them).
    for (const socket of left) this.ownQueue(socket);
    append(this.shared, text);
    for (const [socket, queue] of this.own) {
      if (left.includes(socket)) continue;
      if (queue.chars + text.length > maxBatchChars) {
        this.beforeSend();
        this.sendOwnNow(socket);
      }
      append(this.own.get(socket)!, text);
    }
    this.scheduleFullFlush();
    // A control frame for everyone sends everything at the end of the turn.
    if (control && !this.flushAtEndOfTurn) {
      this.flushAtEndOfTurn = true;
      this.scheduleFlush(() => this.flush(), 0);
    }
  }

  private enqueueOwn(socket: WebSocket, text: string, control: boolean): void {
    if (this.ownQueue(socket).chars + text.length > maxBatchChars) {
      this.beforeSend();
      this.sendOwnNow(socket);
    }
    append(this.own.get(socket)!, text);
    this.scheduleFullFlush();
    // The whole queue goes, not just the control frame: everything queued before it has a lower seq.
    if (!control || this.flushAtEndOfTurn) return;
    this.urgent.add(socket);
    if (this.urgentFlushPending) return;
    this.urgentFlushPending = true;
    this.scheduleFlush(() => this.flushUrgent(), 0);
  }

  /** The socket's own queue, started from everything queued for everyone so far. */
  private ownQueue(socket: WebSocket): Queued {
    let queue = this.own.get(socket);
    if (!queue) {
      queue = { texts: [...this.shared.texts], chars: this.shared.chars };
      this.own.set(socket, queue);
    }
    return queue;
  }

  /**
   * Sends the socket's queue ahead of the flush (the caller has run `beforeSend`); it keeps a queue of its own,
   * empty, so nothing goes twice.
   */
  private sendOwnNow(socket: WebSocket): void {
    const queue = this.ownQueue(socket);
    if (queue.texts.length === 0) return;
    sendText(socket, asMessage(queue.texts));
    this.own.set(socket, emptyQueue());
  }

  private scheduleFullFlush(): void {
    if (this.flushPending) return;
    this.flushPending = true;
    const sinceLast = this.now() - this.lastFlushAt;
    const windowMs = coalesceWindowMs(this.openSockets().length);
    this.flushAtEndOfTurn = sinceLast >= windowMs;
    this.scheduleFlush(() => this.flush(), this.flushAtEndOfTurn ? 0 : windowMs - sinceLast);
  }

  private openSockets(): WebSocket[] {
    this.everyone ??= this.ctx.getWebSockets();
    return this.everyone;
  }

  private closeSocket(socket: WebSocket, code: number, reason: string): void {
    this.everyone = null;
    this.beforeSend();
    this.sendOwnNow(socket);
    closeQuietly(socket, code, reason);
  }
}

/** A batch never grows past this (frames are at most 64 KiB each), so a message stays about as large as one frame. */
const maxBatchChars = 64 * 1024;

interface Queued {
  texts: string[];
  chars: number;
}

const emptyQueue = (): Queued => ({ texts: [], chars: 0 });

function append(queue: Queued, text: string): void {
  queue.texts.push(text);
  queue.chars += text.length;
}

/** The frames are already JSON: a batch is spliced from their text, never parsed and serialised again. */
function asMessage(texts: readonly string[]): string {
  return texts.length === 1 ? texts[0]! : `{"type":"batch","frames":[${texts.join(",")}]}`;
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
