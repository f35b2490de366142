import WebSocket from "ws";
import { SocketIoRoomClient } from "../socketio-baseline.ts";
import type { SeatTarget } from "./shard-messages.ts";

/** What the fan-out workload needs from a participant, whichever system it is connected to. */
export interface FanoutClient {
  readonly refusals: number;
  sendChat(clientMessageId: string, body: string): void;
  /** Resolves once the socket is closed (bounded: a close handshake that hangs is cut). */
  close(): Promise<void> | void;
}

type BenchFrame = { type: string; message?: { body: string }; frames?: BenchFrame[] };

const ourChat = (clientMessageId: string, body: string) =>
  JSON.stringify({ id: clientMessageId.slice(0, 64), type: "chat_send", clientMessageId, body, attachments: [] });
/** The ceiling rebroadcasts what it gets as is, so clients send it the frame they expect to receive. */
const ceilingChat = (_clientMessageId: string, body: string) => JSON.stringify({ seq: 1, type: "chat_message", message: { body } });

/** A participant over plain `ws` (no per-frame zod parse, so the client costs the same as socket.io-client's). */
class WsRoomClient implements FanoutClient {
  refusals = 0;

  private constructor(
    readonly socket: WebSocket,
    private readonly chatFrame: (clientMessageId: string, body: string) => string,
  ) {}

  /**
   * Opens, sends `hello` (if the system speaks our protocol) and resolves on `welcome`. A busy room batches the
   * frames queued for a socket into one `batch` message, which is unwrapped here.
   */
  static join(target: Extract<SeatTarget, { kind: "ws" }>, onChat: (body: string) => void, timeoutMs = 15_000): Promise<WsRoomClient> {
    const ours = target.protocol === "ours";
    const socket = new WebSocket(target.url, { perMessageDeflate: target.deflate });
    const client = new WsRoomClient(socket, ours ? ourChat : ceilingChat);
    return new Promise<WsRoomClient>((resolve, reject) => {
      const fail = (error: Error) => {
        clearTimeout(timer);
        socket.terminate();
        reject(error);
      };
      const welcomed = () => {
        clearTimeout(timer);
        socket.removeAllListeners("close").removeAllListeners("error");
        socket.on("error", () => {});
        resolve(client);
      };
      const timer = setTimeout(() => fail(new Error("no welcome in time")), timeoutMs);
      if (ours) socket.once("open", () => socket.send(JSON.stringify({ id: "hello", type: "hello", protocolVersion: 1 })));
      socket.once("error", fail);
      socket.once("close", (code) => fail(new Error(`closed with ${code} before welcome`)));
      socket.on("message", (data) => {
        const message = JSON.parse(String(data)) as BenchFrame;
        for (const frame of message.type === "batch" ? message.frames! : [message]) {
          if (frame.type === "chat_message") onChat(frame.message!.body);
          else if (frame.type === "error") client.refusals++;
          else if (frame.type === "welcome") welcomed();
          else if (frame.type === "waiting_room") fail(new Error("bench meeting put the client in the waiting room"));
        }
      });
    });
  }

  sendChat(clientMessageId: string, body: string): void {
    this.socket.send(this.chatFrame(clientMessageId, body));
  }

  close(timeoutMs = 2000): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.socket.terminate();
        resolve();
      }, timeoutMs);
      this.socket.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
      this.socket.close(1000);
    });
  }
}

/** Stands in for a client whose join failed, so cleanup can treat every seat alike. */
export class FailedJoin implements FanoutClient {
  readonly refusals = 0;
  sendChat(): void {}
  close(): void {}
}

/** Connects one seat and resolves once the system has welcomed it (our `welcome`, Socket.IO's hello ack). */
export function joinSeat(target: SeatTarget, onChat: (body: string) => void): Promise<FanoutClient> {
  return target.kind === "socketio" ? SocketIoRoomClient.join(target.url, target.token, onChat) : WsRoomClient.join(target, onChat);
}
