import http from "node:http";
import type { AddressInfo } from "node:net";
import { createAdapter } from "@socket.io/redis-adapter";
import { Redis } from "ioredis";
import { Server, type Socket } from "socket.io";
import { z } from "zod";
import { verifyJoinToken } from "../workers/auth/join-token.ts";
import type { VerifiedParticipant } from "../protocol/room-contract.ts";
import { loadSigningKeys } from "../workers/auth/signing-keys.ts";
import { take, type FrameRateState } from "../workers/meeting-room/core/frame-rate-limit.ts";
import { clientFrameSchema } from "../protocol/client-frames.ts";
import type { RoomErrorCode } from "../protocol/room-errors.ts";
import type { ChatMessage, RosterEntry } from "../protocol/server-frames.ts";

/**
 * The baseline for bench/room-fanout.ts, built the way a classic design does signaling: a Node.js Socket.IO
 * server with @socket.io/redis-adapter (one ioredis client publishes, one subscribes), the roster kept in a
 * Redis hash and chat appended to a Redis list before the broadcast. It reuses our join-token verification,
 * frame schema and rate limiter, so the two systems differ in the room runtime, not in the checks.
 *
 * Runs as a child process (forked by socketio-baseline.ts) so it has its own event loop, as workerd does.
 * Parent → child: `start`, then `stop`. Child → parent: `ready {port}` or `failed {message}`.
 */

export interface BaselineServerEvents {
  chat_message: (frame: { message: ChatMessage }) => void;
  participant_joined: (frame: { participant: RosterEntry }) => void;
  participant_left: (frame: { identity: string }) => void;
  room_error: (frame: { code: RoomErrorCode; ref?: string }) => void;
}
export interface BaselineClientEvents {
  /** The first frame: answered through the ack with the roster, like `welcome`. */
  hello: (frame: unknown, ack: (reply: { self: RosterEntry; roster: RosterEntry[] }) => void) => void;
  frame: (frame: unknown) => void;
}
interface SocketData {
  claims: VerifiedParticipant;
  rate: FrameRateState;
}
type BaselineSocket = Socket<BaselineClientEvents, BaselineServerEvents, Record<string, never>, SocketData>;

const startMessage = z.object({
  type: z.literal("start"),
  signingKeys: z.string(),
  issuer: z.string(),
  redisHost: z.string(),
  redisPort: z.number().int(),
});
const stopMessage = z.object({ type: z.literal("stop") });
export type BaselineStart = z.infer<typeof startMessage>;
export type BaselineReply = { type: "ready"; port: number } | { type: "failed"; message: string };

/** Redis keys of one baseline room; deleted when the server stops. */
const roomKeys = (meetingId: string) => ({
  roster: `bench:socketio:${meetingId}:roster`,
  chat: `bench:socketio:${meetingId}:chat`,
  seq: `bench:socketio:${meetingId}:seq`,
});
/** The same in-memory window the DO keeps. */
const chatWindow = 500;

async function startBaseline(options: BaselineStart): Promise<{ port: number; stop: () => Promise<void> }> {
  const keys = await loadSigningKeys(options.signingKeys);
  const pub = new Redis({ host: options.redisHost, port: options.redisPort, maxRetriesPerRequest: 2 });
  const sub = pub.duplicate();
  const server = http.createServer();
  // WebSocket only, like our rooms: no long-polling handshake inside the join time.
  const io = new Server<BaselineClientEvents, BaselineServerEvents, Record<string, never>, SocketData>(server, {
    transports: ["websocket"],
    serveClient: false,
    adapter: createAdapter(pub, sub),
  });
  const rooms = new Set<string>();

  io.use((socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown }).token;
    if (typeof token !== "string") return next(new Error("unauthorized"));
    verifyJoinToken(keys, token, { issuer: options.issuer }).then(
      (claims) => {
        socket.data = { claims, rate: {} };
        next();
      },
      () => next(new Error("invalid_join_token")),
    );
  });

  io.on("connection", (socket: BaselineSocket) => {
    const { claims } = socket.data;
    const room = claims.meetingId as string;
    const key = roomKeys(room);
    rooms.add(room);
    const self: RosterEntry = {
      identity: claims.identity,
      role: claims.role,
      audioMuted: false,
      videoMuted: false,
      handRaised: false,
      connectionQuality: "good",
      joinedAt: new Date().toISOString(),
      ...(claims.name ? { name: claims.name } : {}),
    };
    /** Decode + rate limit exactly as the DO does; a refusal is an error event, never a disconnect. */
    const admit = (data: unknown) => {
      const parsed = clientFrameSchema.safeParse(data);
      if (!parsed.success) return void socket.emit("room_error", { code: "invalid_frame" });
      const limited = take(socket.data.rate, parsed.data.type, Date.now());
      socket.data.rate = limited.state;
      if (!limited.allowed) return void socket.emit("room_error", { code: "rate_limited", ref: parsed.data.id });
      return parsed.data;
    };

    socket.on("hello", async (data, ack) => {
      try {
        if (admit(data)?.type !== "hello") return;
        await socket.join(room);
        const [, all] = (await pub.multi().hset(key.roster, self.identity, JSON.stringify(self)).hgetall(key.roster).exec()) ?? [];
        const roster = Object.values((all?.[1] ?? {}) as Record<string, string>).map((v) => JSON.parse(v) as RosterEntry);
        if (typeof ack === "function") ack({ self, roster });
        socket.to(room).emit("participant_joined", { participant: self });
      } catch {
        socket.emit("room_error", { code: "internal_error" });
      }
    });

    socket.on("frame", async (data) => {
      try {
        const frame = admit(data);
        if (!frame) return;
        if (frame.type !== "chat_send") return void socket.emit("room_error", { code: "unknown_frame_type", ref: frame.id });
        const message: ChatMessage = {
          seq: await pub.incr(key.seq),
          clientMessageId: frame.clientMessageId,
          sender: self.identity,
          body: frame.body,
          attachments: frame.attachments,
          reactions: {},
          sentAt: new Date().toISOString(),
          editedAt: null,
          deleted: false,
        };
        // Stored before it is broadcast, as the DO stores before any frame leaves.
        await pub.multi().rpush(key.chat, JSON.stringify(message)).ltrim(key.chat, -chatWindow, -1).exec();
        io.to(room).emit("chat_message", { message });
      } catch {
        socket.emit("room_error", { code: "internal_error" });
      }
    });

    socket.on("disconnect", () => {
      pub.hdel(key.roster, self.identity).catch(() => {});
      socket.to(room).emit("participant_left", { identity: self.identity });
    });
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    stop: async () => {
      io.disconnectSockets(true);
      await new Promise<void>((resolve) => io.close(() => resolve()));
      for (const room of rooms) await pub.del(...Object.values(roomKeys(room)));
      await Promise.allSettled([pub.quit(), sub.quit()]);
    },
  };
}

// Child-process entry: only when forked with an IPC channel.
if (process.send) {
  const reply = (message: BaselineReply) => process.send?.(message);
  let running: Awaited<ReturnType<typeof startBaseline>> | undefined;
  process.on("message", async (raw) => {
    if (stopMessage.safeParse(raw).success) {
      await running?.stop().catch(() => {});
      process.exit(0);
    }
    const begin = startMessage.safeParse(raw);
    if (!begin.success) return;
    try {
      running = await startBaseline(begin.data);
      reply({ type: "ready", port: running.port });
    } catch (error) {
      reply({ type: "failed", message: error instanceof Error ? error.message : String(error) });
    }
  });
  // The parent going away (crash, Ctrl-C) must not leave a server behind.
  process.on("disconnect", () => process.exit(0));
}
