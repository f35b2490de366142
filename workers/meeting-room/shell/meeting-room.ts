import { DurableObject } from "cloudflare:workers";
import { readConfig, type Env } from "../../env.ts";
import { presignAttachmentDownload, presignAttachmentUpload } from "./attachment-uploads.ts";
import type { Database } from "../../db/database.ts";
import { describeError as describe, logEvent } from "../../observability/log.ts";
import { decodeClientFrame } from "../../../protocol/decode-frame.ts";
import {
  EndMeetingRequest,
  MediaRoomEvent,
  MeetingRoomSettings,
  meetingSettingsHeader,
  roomRoutes,
  VerifiedParticipant,
  verifiedParticipantHeader,
} from "../../../protocol/room-contract.ts";
import type { ServerFrame } from "../../../protocol/server-frames.ts";
import { issueTurnCredentials } from "../../turn/turn-credentials.ts";
import { parseTurnUrls } from "../../turn/turn-urls.ts";
import { isAddressedTo } from "../core/frame-log.ts";
import { take, type FrameRateState } from "../core/frame-rate-limit.ts";
import { unpersisted } from "../core/chat-log.ts";
import { openDatabase } from "../../db/database.ts";
import { reduce } from "../core/room-reducer.ts";
import { flushChat, readChatHistory, writeRecord, type RoomRecordKeys } from "./room-persistence.ts";
import { isTenantAttachment } from "../core/attachment-keys.ts";
import { createRoomState, type IceServer, type RoomEvent, type RoomState } from "../core/room-state.ts";
import { createRoomMedia, type RoomMedia } from "./room-media.ts";
import { RoomStore, type PendingRecord, type RoomRecordEffect } from "./room-store.ts";
import { closeCodes } from "../../../protocol/close-codes.ts";
import type { RoomEffect } from "../core/room-transition.ts";


/** What each hibernatable socket carries across evictions: who it is. */
interface SocketAttachment {
  identity: string;
  claims: VerifiedParticipant;
}

/**
 * One Durable Object per meeting: a thin shell around the pure reducer (room-reducer.ts). Each runtime hook
 * decodes its input, calls `reduce`, persists the new state and applies the effects (send, close, alarm).
 * WebSockets use the Hibernation API, so an idle meeting costs nothing; every hook is wrapped so a bug
 * answers with an error instead of taking the meeting down.
 */
export class MeetingRoom extends DurableObject<Env> {
  private state: RoomState | undefined;
  private readonly store: RoomStore;
  private readonly media: RoomMedia;
  private flushingChat = false;
  private flushingRecords = false;
  /** When the room itself next needs a tick (null: never); outbox retries are merged in on top. */
  private roomDueAt: number | null = null;
  private alarmSetFor: number | null | undefined;
  /**
   * Per-socket memory that need not survive hibernation: the decoded attachment (read once, not per
   * frame) and the rate-limit buckets (a room only hibernates when idle, and idle buckets are full anyway).
   */
  private readonly sockets = new WeakMap<WebSocket, { attachment: SocketAttachment; rate: FrameRateState }>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new RoomStore(ctx.storage);
    this.media = createRoomMedia(env, (event) => this.dispatch(event));
    void ctx.blockConcurrencyWhile(async () => {
      this.state = await this.store.load();
    });
  }

  override async fetch(request: Request): Promise<Response> {
    try {
      const url = new URL(request.url);
      if (url.pathname === roomRoutes.connect) return await this.accept(request);
      if (url.pathname === roomRoutes.mediaEvent && request.method === "POST") {
        await this.dispatch({ kind: "media", event: MediaRoomEvent.parse(await request.json()) });
        return Response.json({ accepted: true });
      }
      if (url.pathname === roomRoutes.end && request.method === "POST") {
        const { reason } = EndMeetingRequest.parse(await request.json());
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
    const claims = VerifiedParticipant.parse(JSON.parse(request.headers.get(verifiedParticipantHeader) ?? "null"));
    const settings = MeetingRoomSettings.parse(JSON.parse(request.headers.get(meetingSettingsHeader) ?? "null"));
    const created = { title: settings.title, waitingRoom: settings.waitingRoom, maxParticipants: settings.maxParticipants, sfuThreshold: settings.sfuThreshold };
    const state = this.state ?? createRoomState(claims.meetingId, created, claims.tenantId);
    await this.store.setTenantId(claims.tenantId);
    // Settings may have been edited through the API since the room was created.
    const scheduledEndAt = settings.scheduledEndAt ? Date.parse(settings.scheduledEndAt) : null;
    this.state = {
      ...state,
      tenantId: claims.tenantId, // rooms stored before the field existed
      locationHint: state.locationHint ?? settings.locationHint,
      settings: { ...state.settings, sfuThreshold: settings.sfuThreshold, title: settings.title, waitingRoom: settings.waitingRoom, maxParticipants: settings.maxParticipants, scheduledEndAt },
      lobby: { ...state.lobby, enabled: settings.waitingRoom },
    };

    // One socket per identity: a second connection (new tab, reconnect racing the old close) replaces the first.
    for (const old of this.ctx.getWebSockets(claims.identity)) old.close(closeCodes.replaced, "replaced by a newer connection");
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server, [claims.identity]);
    const attachment: SocketAttachment = { identity: claims.identity, claims };
    server.serializeAttachment(attachment);
    this.sockets.set(server, { attachment, rate: {} });
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(socket: WebSocket, data: string | ArrayBuffer): Promise<void> {
    let ref: string | undefined;
    try {
      const memory = this.socketMemory(socket);
      const decoded = decodeClientFrame(data);
      const frameType = decoded.ok ? decoded.frame.type : "ping"; // undecodable frames are charged as control
      const limited = take(memory.rate, frameType, Date.now());
      memory.rate = limited.state;
      const { claims } = memory.attachment;
      ref = decoded.ok ? decoded.frame.id : decoded.ref;
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
      await this.reportInternalError(socket, ref);
    }
  }

  /** Answers a frame the room failed on: sequenced like every frame when possible, bare as a last resort. */
  private async reportInternalError(socket: WebSocket, ref: string | undefined): Promise<void> {
    const message = "the room could not handle that frame";
    try {
      const { identity } = this.socketMemory(socket).attachment;
      await this.dispatch({ kind: "reject", identity, code: "internal_error", message, ...(ref ? { ref } : {}) });
    } catch {
      sendRaw(socket, { type: "error", code: "internal_error", message, ...(ref ? { ref } : {}) });
    }
  }

  private socketMemory(socket: WebSocket): { attachment: SocketAttachment; rate: FrameRateState } {
    let memory = this.sockets.get(socket);
    if (!memory) {
      memory = { attachment: socket.deserializeAttachment() as SocketAttachment, rate: {} };
      this.sockets.set(socket, memory);
    }
    return memory;
  }

  override async webSocketClose(socket: WebSocket, code: number): Promise<void> {
    await this.socketGone(socket, code === 1000 || code === 1001);
  }

  override async webSocketError(socket: WebSocket): Promise<void> {
    await this.socketGone(socket, false);
  }

  override async alarm(): Promise<void> {
    try {
      this.alarmSetFor = undefined; // the alarm that fired is gone
      await this.dispatch({ kind: "tick" });
      // Also the retry path of both outboxes: a failed flush leaves an alarm behind, even across evictions.
      await Promise.all([this.flushChatOutbox(), this.flushRecordOutbox()]);
      await this.scheduleAlarm();
    } catch (error) {
      logEvent("meeting_room_error", { where: "alarm", error: describe(error) });
    }
  }

  private async socketGone(socket: WebSocket, clean: boolean): Promise<void> {
    try {
      const { identity } = this.socketMemory(socket).attachment;
      // A replaced socket closing must not mark its successor's seat as gone.
      const others = this.ctx.getWebSockets(identity).filter((s) => s !== socket && s.readyState === WebSocket.OPEN);
      if (others.length === 0) await this.dispatch({ kind: "disconnected", identity, clean });
    } catch (error) {
      logEvent("meeting_room_error", { where: "webSocketClose", error: describe(error) });
    }
  }

  private async dispatch(event: RoomEvent): Promise<void> {
    // A meeting nobody ever joined has no room to end.
    if (!this.state) return;
    const result = reduce(this.state, event, Date.now());
    this.state = result.state;
    this.roomDueAt = result.nextAlarmAt;
    const records = result.effects.filter(isRecordEffect);
    // Stored before any frame leaves: an acknowledged chat message is already durable in the DO, and a
    // join or leave is in the outbox before anyone hears of it.
    await this.store.save(result.state, records);
    await this.scheduleAlarm();
    for (const effect of result.effects) this.apply(effect);
  }

  /** One alarm serves the room's own deadlines and the outbox retries; set only when it moves. */
  private async scheduleAlarm(): Promise<void> {
    const pendingChat = this.state ? unpersisted(this.state.chat).length > 0 : false;
    const pending = pendingChat || this.store.pendingRecords().length > 0;
    const retryAt = pending && !this.flushingChat && !this.flushingRecords ? Date.now() + outboxRetryMs : null;
    const roomDueAt = this.roomDueAt;
    const dueAt = roomDueAt === null ? retryAt : retryAt === null ? roomDueAt : Math.min(roomDueAt, retryAt);
    // A pending retry only ever moves earlier, so a busy room doesn't rewrite its alarm on every frame.
    if (dueAt === this.alarmSetFor || (retryAt !== null && this.alarmSetFor != null && this.alarmSetFor <= dueAt!)) return;
    this.alarmSetFor = dueAt;
    if (dueAt !== null) await this.ctx.storage.setAlarm(dueAt);
    else await this.ctx.storage.deleteAlarm();
  }

  /** Writes every not-yet-persisted chat message to Postgres; on failure the alarm retries later. */
  private async flushChatOutbox(): Promise<void> {
    if (this.flushingChat) return;
    this.flushingChat = true;
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
    } finally {
      this.flushingChat = false;
    }
    await this.scheduleAlarm();
  }

  /**
   * Writes participant joins/leaves and session ends to Postgres in the order they happened (a leave must
   * never overtake its join). Each record is deleted from the outbox only after its write committed.
   */
  private async flushRecordOutbox(): Promise<void> {
    if (this.flushingRecords) return;
    this.flushingRecords = true;
    try {
      for (let batch = this.store.pendingRecords().slice(0, 50); batch.length; batch = this.store.pendingRecords().slice(0, 50)) {
        const done: PendingRecord[] = [];
        try {
          await this.withDatabase(async (db, keys) => {
            for (const record of batch) {
              await writeRecord(db, keys, record);
              done.push(record);
            }
          });
        } finally {
          await this.store.completeRecords(done);
        }
      }
    } catch (error) {
      logEvent("meeting_room_error", { where: "record_outbox", pending: this.store.pendingRecords().length, error: describe(error) });
    } finally {
      this.flushingRecords = false;
    }
    await this.scheduleAlarm();
  }

  /** Who owns the room and its current state: everything an effect needs to reach Postgres, S3 or the fleet. */
  private scope(): { tenantId: string; state: RoomState } {
    const tenantId = this.store.tenantId();
    if (!tenantId || !this.state) throw new Error("room has no tenant yet");
    return { tenantId, state: this.state };
  }

  private async withDatabase<T>(work: (db: Database, keys: RoomRecordKeys) => Promise<T>): Promise<T> {
    const { tenantId, state } = this.scope();
    const handle = openDatabase(this.env.DATABASE_URL, this.env.NEON_WS_PROXY);
    try {
      return await work(handle.db, { tenantId, meetingId: state.meetingId });
    } finally {
      this.ctx.waitUntil(handle.close().catch(() => {}));
    }
  }

  private apply(effect: RoomEffect): void {
    switch (effect.kind) {
      case "deliver": {
        // Serialised once per frame, not once per recipient: a busy meeting sends each frame to everyone.
        const text = JSON.stringify(effect.frame);
        const { audience } = effect;
        const sockets =
          audience.kind === "only" ? audience.identities.flatMap((identity) => this.ctx.getWebSockets(identity)) : this.ctx.getWebSockets();
        for (const socket of sockets) {
          if (audience.kind !== "all_except" || isAddressedTo(audience, this.socketMemory(socket).attachment.identity)) sendText(socket, text);
        }
        return;
      }
      case "replay":
        for (const socket of this.ctx.getWebSockets(effect.identity)) for (const frame of effect.frames) sendRaw(socket, frame);
        return;
      case "close":
        for (const socket of this.ctx.getWebSockets(effect.identity)) closeQuietly(socket, effect.code, effect.reason);
        return;
      case "record_join":
      case "record_leave":
      case "record_session_end":
      case "record_usage":
        // Already in the outbox (dispatch stored it with the state); this only starts the flush.
        this.ctx.waitUntil(this.flushRecordOutbox());
        return;
      case "persist_chat":
        this.ctx.waitUntil(this.flushChatOutbox());
        return;
      case "presign_upload":
        this.ctx.waitUntil(this.presignUpload(effect));
        return;
      case "presign_download":
        this.ctx.waitUntil(this.presignDownload(effect));
        return;
      case "load_chat_history":
        this.ctx.waitUntil(this.loadChatHistory(effect));
        return;
      case "place_media":
      case "grant_sfu":
      case "probe_media":
      case "sfu_moderate":
        this.ctx.waitUntil(this.runMedia(effect));
        return;
      default:
        effect satisfies never;
    }
  }

  private async presignUpload(effect: Extract<RoomEffect, { kind: "presign_upload" }>): Promise<void> {
    try {
      const { tenantId, state } = this.scope();
      const { name, contentType, sizeBytes } = effect;
      const upload = await presignAttachmentUpload(readConfig(this.env), { tenantId, meetingId: state.meetingId, name, contentType, sizeBytes });
      await this.dispatch({ kind: "upload_ready", identity: effect.identity, ref: effect.ref, ...upload });
    } catch (error) {
      logEvent("meeting_room_error", { where: "presign_upload", error: describe(error) });
      await this.dispatch({ kind: "reject", identity: effect.identity, code: "internal_error", message: "could not prepare the upload", ref: effect.ref });
    }
  }

  private async presignDownload(effect: Extract<RoomEffect, { kind: "presign_download" }>): Promise<void> {
    const { identity, ref, objectKey } = effect;
    try {
      const { tenantId, state } = this.scope();
      // Checked again here: the reducer's check is the one that matters, this one guards the signing key.
      if (!isTenantAttachment(objectKey, tenantId, state.meetingId)) {
        return await this.dispatch({ kind: "reject", identity, code: "not_found", message: "no such attachment in this meeting", ref });
      }
      const download = await presignAttachmentDownload(readConfig(this.env), objectKey);
      await this.dispatch({ kind: "download_ready", identity, ref, ...download });
    } catch (error) {
      logEvent("meeting_room_error", { where: "presign_download", error: describe(error) });
      await this.dispatch({ kind: "reject", identity, code: "internal_error", message: "could not prepare the download", ref });
    }
  }

  /** Completes a history page from Postgres; if it can't be reached the client is told to retry, not sent a short page. */
  private async loadChatHistory(effect: Extract<RoomEffect, { kind: "load_chat_history" }>): Promise<void> {
    const { identity, ref, beforeSeq, limit, window } = effect;
    try {
      const archived = await this.withDatabase((db, keys) => readChatHistory(db, keys, beforeSeq, limit));
      await this.dispatch({ kind: "history_loaded", identity, ref, window, archived: archived.messages, hasMore: archived.hasMore });
    } catch (error) {
      logEvent("meeting_room_error", { where: "load_chat_history", error: describe(error) });
      const message = "older chat is unavailable right now; retry shortly";
      await this.dispatch({ kind: "reject", identity, code: "temporarily_unavailable", message, ref });
    }
  }

  private async runMedia(effect: Extract<RoomEffect, { kind: "place_media" | "grant_sfu" | "probe_media" | "sfu_moderate" }>): Promise<void> {
    try {
      await this.media.run(effect, this.scope());
    } catch (error) {
      logEvent("meeting_room_error", { where: effect.kind, error: describe(error) });
      if (effect.kind === "place_media") await this.dispatch({ kind: "media_placement_failed", reason: "sfu_error" });
    }
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
  sendText(socket, JSON.stringify(frame));
}

function sendText(socket: WebSocket, text: string): void {
  try {
    socket.send(text);
  } catch {
    /* closing socket */
  }
}

const isRecordEffect = (effect: RoomEffect): effect is RoomRecordEffect =>
  effect.kind === "record_join" || effect.kind === "record_leave" || effect.kind === "record_session_end" || effect.kind === "record_usage";

function closeQuietly(socket: WebSocket, code: number, reason: string): void {
  try {
    socket.close(code, reason);
  } catch {
    /* already closed */
  }
}

/** How long a failed chat flush waits before the alarm retries it. */
const outboxRetryMs = 2000;
