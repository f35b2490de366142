import type { VerifiedParticipant } from "../../../protocol/room-contract.ts";
import { isControlFrame, type ServerFrame } from "../../../protocol/server-frames.ts";
import { coalesceWindow, coalesceWindowMs } from "../core/coalesce-window.ts";
import type { Audience } from "../core/frame-log.ts";
import type { FrameRateState } from "../core/frame-rate-limit.ts";
import { SendGroup, type FlushScheduler } from "./send-group.ts";

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

/**
 * The room's hibernating WebSockets, tagged by identity: accepting, addressing and closing them. Frames are
 * queued and sent when the current turn ends: one frame as itself, several as one `batch` message
 * (protocol/server-frames.ts), so a busy room pays one send (and one compression) per socket per turn, not per frame.
 * Under load a socket's frames wait out a coalescing window (core/coalesce-window.ts, longer in larger rooms), so
 * the frames of several events go out together; a quiet room sends at the end of the turn, and a control frame
 * (`isControlFrame`) sends its socket's whole queue at the end of the turn, so a chat flood can't delay joins or
 * host controls. The sockets are dealt into `coalesceWindow.sendGroups` groups (send-group.ts) that flush at
 * staggered moments of the window: a large room sends a steady stream instead of one burst for everyone.
 */
export class RoomSockets {
  private readonly memory = new WeakMap<WebSocket, SocketMemory>();
  private readonly groups: SendGroup[];
  /** Which group each socket belongs to, dealt in turn as sockets are first seen (after a wake-up too). */
  private readonly groupOf = new WeakMap<WebSocket, number>();
  private nextGroup = 0;
  /** Every open socket and each group's share, asked of the runtime once per change rather than once per frame. */
  private everyone: { all: WebSocket[]; byGroup: WebSocket[][] } | null = null;
  /** Runs before anything is sent or closed: the room's deferred storage writes go first (RoomStore.writeDeferred). */
  private beforeSend: () => void = () => {};

  constructor(
    private readonly ctx: DurableObjectState,
    scheduleFlush: FlushScheduler = (flush, delayMs) => setTimeout(flush, delayMs),
    now: () => number = Date.now,
  ) {
    const count = coalesceWindow.sendGroups;
    this.groups = Array.from(
      { length: count },
      (_, g) =>
        new SendGroup(g / count, {
          sockets: () => this.open().byGroup[g]!,
          windowMs: () => coalesceWindowMs(this.open().all.length),
          beforeSend: () => this.beforeSend(),
          scheduleFlush,
          now,
        }),
    );
  }

  /** One socket per identity: a second connection (new tab, reconnect racing the old close) replaces the first. */
  accept(claims: VerifiedParticipant, replacedCode: number): Response {
    for (const old of this.ctx.getWebSockets(claims.identity)) this.closeSocket(old, replacedCode, "replaced by a newer connection");
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server, [claims.identity]);
    this.everyone = null;
    this.groupFor(server).accepted(server);
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
    return this.groups.some((group) => group.hasQueued());
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
        for (const socket of this.ctx.getWebSockets(identity)) this.groupFor(socket).enqueueOwn(socket, text, control);
      return;
    }
    const left = audience.kind === "all_except" ? audience.identities.flatMap((identity) => this.ctx.getWebSockets(identity)) : [];
    const { byGroup } = this.open();
    this.groups.forEach((group, g) => {
      // A group with no socket has nobody to queue for.
      if (byGroup[g]!.length)
        group.enqueueShared(text, control, left.length ? left.filter((socket) => this.groupFor(socket) === group) : left);
    });
  }

  replay(identity: string, frames: readonly ServerFrame[]): void {
    const texts = frames.map((frame) => ({ text: JSON.stringify(frame), control: isControlFrame(frame.type) }));
    for (const socket of this.ctx.getWebSockets(identity))
      for (const { text, control } of texts) this.groupFor(socket).enqueueOwn(socket, text, control);
  }

  /** Closes after the frames already queued for the socket (a `removed` or `meeting_ended` goes out first). */
  close(identity: string, code: number, reason: string): void {
    for (const socket of this.ctx.getWebSockets(identity)) this.closeSocket(socket, code, reason);
  }

  /** Last resort when the room can't answer through its reducer: an unsequenced error frame. */
  sendBare(socket: WebSocket, frame: BareError): void {
    this.groupFor(socket).enqueueOwn(socket, JSON.stringify(frame), true);
  }

  /** Sends everything queued, in every group. */
  flush(): void {
    for (const group of this.groups) group.flush();
  }

  private groupFor(socket: WebSocket): SendGroup {
    return this.groups[this.groupIndex(socket)]!;
  }

  private groupIndex(socket: WebSocket): number {
    let g = this.groupOf.get(socket);
    if (g === undefined) {
      g = this.nextGroup;
      this.nextGroup = (this.nextGroup + 1) % this.groups.length;
      this.groupOf.set(socket, g);
    }
    return g;
  }

  private open(): { all: WebSocket[]; byGroup: WebSocket[][] } {
    if (!this.everyone) {
      const all = this.ctx.getWebSockets();
      const byGroup = this.groups.map((): WebSocket[] => []);
      for (const socket of all) byGroup[this.groupIndex(socket)]!.push(socket);
      this.everyone = { all, byGroup };
    }
    return this.everyone;
  }

  private closeSocket(socket: WebSocket, code: number, reason: string): void {
    this.everyone = null;
    this.groupFor(socket).sendNow(socket);
    closeQuietly(socket, code, reason);
  }
}

function closeQuietly(socket: WebSocket, code: number, reason: string): void {
  try {
    socket.close(code, reason);
  } catch {
    /* already closed */
  }
}
