import { fork } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { io, type Socket } from "socket.io-client";
import { repoRoot } from "../scripts/lib/paths.ts";
import type { BaselineClientEvents, BaselineReply, BaselineServerEvents, BaselineStart } from "./socketio-baseline-server.ts";

/**
 * Starts and drives the Socket.IO + Redis baseline (socketio-baseline-server.ts) for the room fan-out bench.
 * The server is a child process: on two cores, a separate process is the fair counterpart of workerd's.
 */

export interface SocketIoBaseline {
  url: string;
  stop(): Promise<void>;
}

export async function startSocketIoBaseline(options: Omit<BaselineStart, "type">, timeoutMs = 30_000): Promise<SocketIoBaseline> {
  const child = fork(path.join(repoRoot, "bench", "socketio-baseline-server.ts"), [], {
    cwd: repoRoot,
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exited = once(child, "exit");
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.send({ type: "stop" });
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  };
  child.send({ type: "start", ...options } satisfies BaselineStart);
  let timer: NodeJS.Timeout | undefined;
  const reply = await Promise.race([
    once(child, "message").then(([message]) => message as BaselineReply),
    exited.then(([code]): BaselineReply => ({ type: "failed", message: `exited with ${code}` })),
    new Promise<BaselineReply>(
      (resolve) => (timer = setTimeout(() => resolve({ type: "failed", message: "not ready in time" }), timeoutMs)),
    ),
  ]);
  clearTimeout(timer);
  if (reply.type !== "ready") {
    child.kill("SIGKILL");
    throw new Error(`Socket.IO baseline did not start: ${reply.message}`);
  }
  return { url: `http://127.0.0.1:${reply.port}`, stop };
}

/** One baseline participant: the same message shape and refusal counting as the DO client in room-fanout.ts. */
export class SocketIoRoomClient {
  refusals = 0;

  private constructor(private readonly socket: Socket<BaselineServerEvents, BaselineClientEvents>) {
    socket.on("room_error", () => this.refusals++);
  }

  /** Connects (WebSocket only, own connection), says hello and resolves once the ack carrying the roster arrives. */
  static async join(url: string, token: string, onChat: (body: string) => void, timeoutMs = 15_000): Promise<SocketIoRoomClient> {
    const socket: Socket<BaselineServerEvents, BaselineClientEvents> = io(url, {
      transports: ["websocket"],
      forceNew: true,
      reconnection: false,
      // The client offers permessage-deflate (engine.io-client's default, as a browser does); the server declines
      // it (engine.io's default), so the baseline runs uncompressed whatever the bench's clients offer.
      auth: { token },
    });
    const client = new SocketIoRoomClient(socket);
    socket.on("chat_message", ({ message }) => onChat(message.body));
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once("connect", resolve);
        socket.once("connect_error", reject);
      });
      const welcome = await socket.timeout(timeoutMs).emitWithAck("hello", { id: "hello", type: "hello", protocolVersion: 1 });
      if (!Array.isArray(welcome.roster)) throw new Error("hello ack without a roster");
      return client;
    } catch (error) {
      socket.disconnect();
      throw error;
    }
  }

  sendChat(clientMessageId: string, body: string): void {
    this.socket.emit("frame", { id: clientMessageId, type: "chat_send", clientMessageId, body, attachments: [] });
  }

  /** Sends the DISCONNECT packet and closes the connection (its manager is this client's alone). */
  close(): void {
    this.socket.disconnect();
  }
}
