import type { VerifiedParticipant } from "../../../protocol/room-contract.ts";
import type { ServerFrame } from "../../../protocol/server-frames.ts";
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

/** The room's hibernating WebSockets, tagged by identity: accepting, addressing and closing them. */
export class RoomSockets {
  private readonly memory = new WeakMap<WebSocket, SocketMemory>();

  constructor(private readonly ctx: DurableObjectState) {}

  /** One socket per identity: a second connection (new tab, reconnect racing the old close) replaces the first. */
  accept(claims: VerifiedParticipant, replacedCode: number): Response {
    for (const old of this.ctx.getWebSockets(claims.identity)) closeQuietly(old, replacedCode, "replaced by a newer connection");
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server, [claims.identity]);
    const attachment: SocketAttachment = { identity: claims.identity, claims };
    server.serializeAttachment(attachment);
    this.memory.set(server, { attachment, rate: {} });
    return new Response(null, { status: 101, webSocket: client });
  }

  of(socket: WebSocket): SocketMemory {
    let memory = this.memory.get(socket);
    if (!memory) {
      memory = { attachment: socket.deserializeAttachment() as SocketAttachment, rate: {} };
      this.memory.set(socket, memory);
    }
    return memory;
  }

  /** Whether the identity still has another open socket (a replaced socket closing must not end its successor's seat). */
  hasOtherOpen(socket: WebSocket, identity: string): boolean {
    return this.ctx.getWebSockets(identity).some((s) => s !== socket && s.readyState === WebSocket.OPEN);
  }

  deliver(audience: Audience, frame: ServerFrame): void {
    // Serialised once per frame, not once per recipient: a busy meeting sends each frame to everyone.
    const text = JSON.stringify(frame);
    const sockets =
      audience.kind === "only" ? audience.identities.flatMap((identity) => this.ctx.getWebSockets(identity)) : this.ctx.getWebSockets();
    for (const socket of sockets) {
      if (audience.kind !== "all_except" || isAddressedTo(audience, this.of(socket).attachment.identity)) sendText(socket, text);
    }
  }

  replay(identity: string, frames: readonly ServerFrame[]): void {
    for (const socket of this.ctx.getWebSockets(identity)) for (const frame of frames) sendText(socket, JSON.stringify(frame));
  }

  close(identity: string, code: number, reason: string): void {
    for (const socket of this.ctx.getWebSockets(identity)) closeQuietly(socket, code, reason);
  }

  /** Last resort when the room can't answer through its reducer: an unsequenced error frame. */
  sendBare(socket: WebSocket, frame: BareError): void {
    sendText(socket, JSON.stringify(frame));
  }
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
