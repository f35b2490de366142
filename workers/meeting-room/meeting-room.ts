import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import { readConfig, type Env } from "../env.ts";
import { presignAttachmentUpload } from "./attachment-uploads.ts";
import type { Database } from "../db/database.ts";
import { logEvent } from "../observability/log.ts";
import { decodeClientFrame } from "../protocol/decode-frame.ts";
import type { ServerFrame } from "../protocol/server-frames.ts";
import { issueTurnCredentials } from "../turn/turn-credentials.ts";
import { parseTurnUrls } from "../turn/turn-urls.ts";
import { isAddressedTo } from "./frame-log.ts";
import { parseFrameRateState, take, type FrameRateState } from "./frame-rate-limit.ts";
import { meetingSettingsHeader, verifiedParticipantHeader } from "./meeting-room-client.ts";
import { unpersisted } from "./chat-log.ts";
import { openDatabase } from "../db/database.ts";
import { reduce } from "./room-reducer.ts";
import { flushChat, recordJoin, recordLeave, recordSessionEnd, type RoomRecordKeys } from "./room-persistence.ts";
import { createRoomState, type IceServer, type RoomEvent, type RoomState } from "./room-state.ts";
import { closeCodes, type RoomEffect } from "./room-transition.ts";
import { readKey, writeKey } from "./storage-keys.ts";

const claimsSchema = z.object({
  tenantId: z.string(),
  meetingId: z.string(),
  identity: z.string(),
  role: z.enum(["host", "cohost", "participant", "guest"]),
  name: z.string().optional(),
  tokenId: z.string(),
  expiresAt: z.coerce.date(),
});
const settingsSchema = z.object({
  waitingRoom: z.boolean(),
  maxParticipants: z.number().int().min(1),
  scheduledEndAt: z.iso.datetime().nullable(),
});

/** What each hibernatable socket carries across evictions: who it is and its rate-limit buckets. */
interface SocketAttachment {
  identity: string;
  claims: z.infer<typeof claimsSchema>;
  rate: FrameRateState;
}

/**
 * One Durable Object per meeting: a thin shell around the pure reducer (room-reducer.ts). Each runtime hook
 * decodes its input, calls `reduce`, persists the new state and applies the effects (send, close, alarm).
 * WebSockets use the Hibernation API, so an idle meeting costs nothing; every hook is wrapped so a bug
 * answers with an error instead of taking the meeting down.
 */
export class MeetingRoom extends DurableObject<Env> {
  private state: RoomState | undefined;
  /** Postgres writes run one at a time, in event order (a leave must never overtake its join). */
  private postgresQueue: Promise<void> = Promise.resolve();
  private flushing = false;

  override async fetch(request: Request): Promise<Response> {
    try {
      const url = new URL(request.url);
      if (url.pathname === "/connect") return await this.accept(request);
      if (url.pathname === "/end" && request.method === "POST") {
        const { reason } = z.object({ reason: z.string().max(64) }).parse(await request.json());
        await this.dispatch({ kind: "end", reason });
        return Response.json({ ended: true });
      }
      return new Response("not found", { status: 404 });
    } catch (error) {
      logEvent("meeting_room_error", { where: "fetch", error: describe(error) });
      return new Response("internal error", { status: 500 });
    }
  }

  private async accept(request: Request): Promise<Response> {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") return new Response("upgrade required", { status: 426 });
    const claims = claimsSchema.parse(JSON.parse(request.headers.get(verifiedParticipantHeader) ?? "null"));
    const settings = settingsSchema.parse(JSON.parse(request.headers.get(meetingSettingsHeader) ?? "null"));
    const state = await this.load(claims.meetingId, settings);
    if ((await readKey(this.ctx.storage, "tenantId")) === undefined) await writeKey(this.ctx.storage, "tenantId", claims.tenantId);
    // Settings may have been edited through the API since the room was created.
    const scheduledEndAt = settings.scheduledEndAt ? Date.parse(settings.scheduledEndAt) : null;
    this.state = {
      ...state,
      settings: { ...state.settings, waitingRoom: settings.waitingRoom, maxParticipants: settings.maxParticipants, scheduledEndAt },
      lobby: { ...state.lobby, enabled: settings.waitingRoom },
    };

    // One socket per identity: a second connection (new tab, reconnect racing the old close) replaces the first.
    for (const old of this.ctx.getWebSockets(claims.identity)) old.close(closeCodes.replaced, "replaced by a newer connection");
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server, [claims.identity]);
    const attachment: SocketAttachment = { identity: claims.identity, claims, rate: {} };
    server.serializeAttachment(attachment);
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(socket: WebSocket, data: string | ArrayBuffer): Promise<void> {
    try {
      const attachment = socket.deserializeAttachment() as SocketAttachment;
      const decoded = decodeClientFrame(data);
      const frameType = decoded.ok ? decoded.frame.type : "ping"; // undecodable frames are charged as control
      const limited = take(parseFrameRateState(attachment.rate), frameType, Date.now());
      socket.serializeAttachment({ ...attachment, rate: limited.state });
      const { claims } = attachment;
      const ref = decoded.ok ? decoded.frame.id : decoded.ref;
      if (!limited.allowed) {
        const message = `slow down: retry in ${limited.retryAfterMs} ms`;
        return await this.dispatch({ kind: "reject", identity: claims.identity, code: "rate_limited", message, ref });
      }
      if (!decoded.ok) return await this.dispatch({ kind: "reject", identity: claims.identity, code: decoded.code, message: decoded.message, ref });
      if (decoded.frame.type === "hello") {
        await this.dispatch({
          kind: "hello",
          participant: { identity: claims.identity, name: claims.name, role: claims.role, tokenId: claims.tokenId, tokenExpiresAt: new Date(claims.expiresAt) },
          frame: decoded.frame,
          iceServers: await this.iceServersFor(claims.tokenId),
        });
      } else {
        const iceServers = decoded.frame.type === "admit" ? await this.iceServersFor(this.lobbyTokenOf(decoded.frame.target)) : undefined;
        await this.dispatch({ kind: "frame", identity: claims.identity, frame: decoded.frame, ...(iceServers ? { iceServers } : {}) });
      }
    } catch (error) {
      logEvent("meeting_room_error", { where: "webSocketMessage", error: describe(error) });
      sendRaw(socket, { type: "error", code: "internal_error", message: "the room could not handle that frame" });
    }
  }

  override async webSocketClose(socket: WebSocket, code: number): Promise<void> {
    await this.socketGone(socket, code === 1000 || code === 1001);
  }

  override async webSocketError(socket: WebSocket): Promise<void> {
    await this.socketGone(socket, false);
  }

  override async alarm(): Promise<void> {
    try {
      await this.dispatch({ kind: "tick" });
      // Also the retry path of the chat outbox: a failed flush leaves an alarm behind, even across evictions.
      await this.flushChatOutbox();
    } catch (error) {
      logEvent("meeting_room_error", { where: "alarm", error: describe(error) });
    }
  }

  private async socketGone(socket: WebSocket, clean: boolean): Promise<void> {
    try {
      const { identity } = socket.deserializeAttachment() as SocketAttachment;
      // A replaced socket closing must not mark its successor's seat as gone.
      const others = this.ctx.getWebSockets(identity).filter((s) => s !== socket && s.readyState === WebSocket.OPEN);
      if (others.length === 0) await this.dispatch({ kind: "disconnected", identity, clean });
    } catch (error) {
      logEvent("meeting_room_error", { where: "webSocketClose", error: describe(error) });
    }
  }

  private async dispatch(event: RoomEvent): Promise<void> {
    const state = this.state ?? (await readKey(this.ctx.storage, "room"));
    // A meeting nobody ever joined has no room to end.
    if (!state) return;
    const result = reduce(state, event, Date.now());
    this.state = result.state;
    // Stored before any frame leaves: an acknowledged chat message is already durable in the DO.
    await writeKey(this.ctx.storage, "room", result.state);
    await this.scheduleAlarm(result.nextAlarmAt);
    for (const effect of result.effects) this.apply(effect);
  }

  private async scheduleAlarm(roomDueAt: number | null): Promise<void> {
    const pendingChat = this.state ? unpersisted(this.state.chat).length > 0 : false;
    const retryAt = pendingChat ? Date.now() + outboxRetryMs : null;
    const dueAt = roomDueAt === null ? retryAt : retryAt === null ? roomDueAt : Math.min(roomDueAt, retryAt);
    if (dueAt !== null) await this.ctx.storage.setAlarm(dueAt);
    else await this.ctx.storage.deleteAlarm();
  }

  /** Writes every not-yet-persisted chat message to Postgres; on failure the alarm retries later. */
  private async flushChatOutbox(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    let pending = this.state ? unpersisted(this.state.chat) : [];
    try {
      // Messages sent while a batch was in flight go in the next batch, not after an alarm's delay.
      while (pending.length) {
        const batch = pending.slice(0, 100);
        await this.withDatabase((db, keys) => flushChat(db, keys, batch));
        await this.dispatch({ kind: "chat_persisted", flushed: batch.map((m) => ({ seq: m.seq, revision: m.revision })) });
        pending = this.state ? unpersisted(this.state.chat) : [];
      }
    } catch (error) {
      logEvent("meeting_room_error", { where: "chat_outbox", pending: pending.length, error: describe(error) });
      await this.scheduleAlarm(null);
    } finally {
      this.flushing = false;
    }
  }

  private enqueuePostgres(work: (db: Database, keys: RoomRecordKeys) => Promise<void>, what: string): void {
    this.postgresQueue = this.postgresQueue
      .then(() => this.withDatabase(work))
      .catch((error) => logEvent("meeting_room_error", { where: what, error: describe(error) }));
    this.ctx.waitUntil(this.postgresQueue);
  }

  private async withDatabase<T>(work: (db: Database, keys: RoomRecordKeys) => Promise<T>): Promise<T> {
    const tenantId = await readKey(this.ctx.storage, "tenantId");
    if (!tenantId || !this.state) throw new Error("room has no tenant yet");
    const handle = openDatabase(this.env.DATABASE_URL, this.env.NEON_WS_PROXY);
    try {
      return await work(handle.db, { tenantId, meetingId: this.state.meetingId });
    } finally {
      this.ctx.waitUntil(handle.close().catch(() => {}));
    }
  }

  private apply(effect: RoomEffect): void {
    switch (effect.kind) {
      case "deliver":
        for (const socket of this.ctx.getWebSockets()) {
          const { identity } = socket.deserializeAttachment() as SocketAttachment;
          if (isAddressedTo(effect.audience, identity)) sendRaw(socket, effect.frame);
        }
        return;
      case "replay":
        for (const socket of this.ctx.getWebSockets(effect.identity)) for (const frame of effect.frames) sendRaw(socket, frame);
        return;
      case "close":
        for (const socket of this.ctx.getWebSockets(effect.identity)) closeQuietly(socket, effect.code, effect.reason);
        return;
      case "record_join":
        return this.enqueuePostgres((db, keys) => recordJoin(db, keys, effect), "record_join");
      case "record_leave":
        return this.enqueuePostgres((db, keys) => recordLeave(db, keys, effect), "record_leave");
      case "record_session_end":
        return this.enqueuePostgres((db, keys) => recordSessionEnd(db, keys, effect), "record_session_end");
      case "persist_chat":
        this.ctx.waitUntil(this.flushChatOutbox());
        return;
      case "presign_upload":
        this.ctx.waitUntil(this.presignUpload(effect));
        return;
      default:
        effect satisfies never;
    }
  }

  private async presignUpload(effect: Extract<RoomEffect, { kind: "presign_upload" }>): Promise<void> {
    try {
      const tenantId = await readKey(this.ctx.storage, "tenantId");
      if (!tenantId || !this.state) throw new Error("room has no tenant yet");
      const { name, contentType, sizeBytes } = effect;
      const upload = await presignAttachmentUpload(readConfig(this.env), { tenantId, meetingId: this.state.meetingId, name, contentType, sizeBytes });
      await this.dispatch({ kind: "upload_ready", identity: effect.identity, ref: effect.ref, ...upload });
    } catch (error) {
      logEvent("meeting_room_error", { where: "presign_upload", error: describe(error) });
      await this.dispatch({ kind: "reject", identity: effect.identity, code: "internal_error", message: "could not prepare the upload", ref: effect.ref });
    }
  }

  private async load(meetingId?: string, settings?: z.infer<typeof settingsSchema>): Promise<RoomState> {
    if (this.state) return this.state;
    const stored = await readKey(this.ctx.storage, "room");
    if (stored) return (this.state = stored);
    if (!meetingId || !settings) throw new Error("room used before its first connection");
    const { waitingRoom, maxParticipants } = settings;
    return (this.state = createRoomState(meetingId, { waitingRoom, maxParticipants }));
  }

  private lobbyTokenOf(identity: string): string {
    const entry = this.state?.lobby.queue.find((e) => e.identity === identity);
    return entry?.tokens.at(-1)?.id ?? identity;
  }

  /** STUN/TURN servers with short-lived REST credentials; empty when TURN is not configured. */
  private async iceServersFor(userId: string): Promise<IceServer[]> {
    const urls = parseTurnUrls(this.env.TURN_URLS);
    if (!urls.length || !this.env.TURN_SECRET) return [];
    const server = await issueTurnCredentials({ secret: this.env.TURN_SECRET, ttlSeconds: 3600, userId, urls, now: new Date() });
    return [{ urls: server.urls, username: server.username, credential: server.credential }];
  }
}

function sendRaw(socket: WebSocket, frame: ServerFrame | Omit<Extract<ServerFrame, { type: "error" }>, "seq">): void {
  try {
    socket.send(JSON.stringify(frame));
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

/** How long a failed chat flush waits before the alarm retries it. */
const outboxRetryMs = 2000;

const describe = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));
