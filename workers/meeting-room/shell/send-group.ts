/** Runs `flush` after `delayMs` (0: once the room's current turn is over); the runtime's timer by default. */
export type FlushScheduler = (flush: () => void, delayMs: number) => void;

/** What a send group needs from its room. */
export interface SendGroupRoom {
  /** The group's open sockets. */
  sockets: () => readonly WebSocket[];
  /** The room's coalescing window now (core/coalesce-window.ts). */
  windowMs: () => number;
  /** Runs before anything is sent: the room's deferred storage writes go first. */
  beforeSend: () => void;
  scheduleFlush: FlushScheduler;
  now: () => number;
}

/**
 * The frames queued for one group of a room's sockets, and when they go (room-sockets.ts splits a room into a few
 * such groups). Frames for everyone are queued once for the group and their message is built once per flush; a
 * socket whose frames differ since the last flush (it was sent a frame of its own, left out of one, accepted or
 * flushed early) keeps its own queue until the next flush. A group flushed less than a coalescing window ago waits
 * out the rest of it, so under load the frames of several events go out together; a quiet group sends at the end
 * of the turn. Only chat waits: a control frame sends its socket's whole queue at the end of the turn.
 *
 * `phase` (0 ≤ phase < 1) staggers the groups: after a flush at the end of the turn, a group counts its window
 * from `phase` of a window earlier, so under load the groups flush at different moments of the window and the
 * room sends (and its clients receive) a steady stream rather than one burst per window.
 */
export class SendGroup {
  /** Serialised frames for every socket of the group without a queue of its own, in seq order. */
  private shared: Queued = emptyQueue();
  /** Sockets whose frames since the last flush are not `shared`: their whole queue, in seq order. */
  private readonly own = new Map<WebSocket, Queued>();
  private flushPending = false;
  /** The pending flush runs at the end of the turn (not after the rest of a coalescing window). */
  private flushAtEndOfTurn = false;
  /** When the pending window flush is due (its window counts from then, so timer lateness does not add up). */
  private windowFlushAt = 0;
  /** Sockets holding a control frame while the full flush waits out a window: they flush at the end of the turn. */
  private readonly urgent = new Set<WebSocket>();
  private urgentFlushPending = false;
  /** Where the group's window counts from: its last flush, or `phase` of a window before it (see `flush`). */
  private lastFlushAt = Number.NEGATIVE_INFINITY;
  /** When the group last flushed, as it happened: a group flushed a window ago or more is quiet. */
  private lastSentAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly phase: number,
    private readonly room: SendGroupRoom,
  ) {}

  hasQueued(): boolean {
    if (this.shared.texts.length) return true;
    for (const queue of this.own.values()) if (queue.texts.length) return true;
    return false;
  }

  /** A socket just accepted: frames queued for everyone before it arrived are not its own. */
  accepted(socket: WebSocket): void {
    if (this.shared.texts.length) this.own.set(socket, emptyQueue());
  }

  /** A frame for every socket of the group but those `left` out. */
  enqueueShared(text: string, control: boolean, left: readonly WebSocket[]): void {
    // Keep each message about as large as one frame at most: send everything queued now, in order.
    if (this.shared.chars + text.length > maxBatchChars) this.flush();
    // Left out of this one frame: their queues part from everyone's here (after that flush, which ends them).
    for (const socket of left) this.ownQueue(socket);
    append(this.shared, text);
    for (const [socket, queue] of this.own) {
      if (left.includes(socket)) continue;
      if (queue.chars + text.length > maxBatchChars) this.sendNow(socket);
      append(this.own.get(socket)!, text);
    }
    this.scheduleFullFlush();
    // A control frame for everyone sends everything at the end of the turn.
    if (control && !this.flushAtEndOfTurn) {
      this.flushAtEndOfTurn = true;
      this.room.scheduleFlush(() => this.flush(), 0);
    }
  }

  enqueueOwn(socket: WebSocket, text: string, control: boolean): void {
    if (this.ownQueue(socket).chars + text.length > maxBatchChars) this.sendNow(socket);
    append(this.own.get(socket)!, text);
    this.scheduleFullFlush();
    // The whole queue goes, not just the control frame: everything queued before it has a lower seq.
    if (!control || this.flushAtEndOfTurn) return;
    this.urgent.add(socket);
    if (this.urgentFlushPending) return;
    this.urgentFlushPending = true;
    this.room.scheduleFlush(() => this.flushUrgent(), 0);
  }

  /** Sends everything queued: per socket one message, a batch when several frames wait for it. */
  flush(): void {
    const now = this.room.now();
    const windowMs = this.room.windowMs();
    // A flush at the end of the turn starts the group's stagger; a window flush about on time keeps its place
    // (timer jitter does not add up), one much later counts from now (a busy room flushes less often, not more).
    if (this.flushAtEndOfTurn) this.lastFlushAt = now - this.phase * windowMs;
    else this.lastFlushAt = now - this.windowFlushAt <= windowMs / 4 ? Math.min(now, this.windowFlushAt) : now;
    this.lastSentAt = now;
    this.flushPending = false;
    const { shared, own } = this;
    let written = false;
    const send = (socket: WebSocket, message: string) => {
      if (!written) this.room.beforeSend();
      written = true;
      sendText(socket, message);
    };
    if (shared.texts.length) {
      // Built once for every socket that has no queue of its own.
      const message = asMessage(shared.texts);
      for (const socket of this.room.sockets()) if (!own.has(socket)) send(socket, message);
    }
    for (const [socket, queue] of own) if (queue.texts.length) send(socket, asMessage(queue.texts));
    this.shared = emptyQueue();
    own.clear();
    this.urgent.clear();
  }

  /** Sends the socket's queue now, ahead of the flush (a close, or a queue that would outgrow a batch). */
  sendNow(socket: WebSocket): void {
    this.room.beforeSend();
    this.sendOwnNow(socket);
  }

  /** Sends the queues of the sockets that got a control frame during a coalescing window; the rest keep waiting. */
  private flushUrgent(): void {
    this.urgentFlushPending = false;
    if (this.urgent.size) this.room.beforeSend();
    for (const socket of this.urgent) this.sendOwnNow(socket);
    this.urgent.clear();
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

  /** Sends the socket's queue (the caller has run `beforeSend`); it keeps a queue of its own, empty, so nothing goes twice. */
  private sendOwnNow(socket: WebSocket): void {
    const queue = this.ownQueue(socket);
    if (queue.texts.length === 0) return;
    sendText(socket, asMessage(queue.texts));
    this.own.set(socket, emptyQueue());
  }

  private scheduleFullFlush(): void {
    if (this.flushPending) return;
    this.flushPending = true;
    const now = this.room.now();
    const windowMs = this.room.windowMs();
    // Quiet by the real time of the last flush: by the staggered one, a group whose frames come just over its
    // shortened window apart would flush at the end of every turn (up to 8 times the sends); this way it flushes
    // early once, then keeps windows from there.
    this.flushAtEndOfTurn = now - this.lastSentAt >= windowMs;
    const delayMs = this.flushAtEndOfTurn ? 0 : Math.max(0, windowMs - (now - this.lastFlushAt));
    this.windowFlushAt = now + delayMs;
    this.room.scheduleFlush(() => this.flush(), delayMs);
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
