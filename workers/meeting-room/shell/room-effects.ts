import type { StoredChatMessage } from "../core/chat-log.ts";
import { isTenantAttachment } from "../core/attachment-keys.ts";
import type { SfuEffect } from "../core/media-mode.ts";
import type { RetryState } from "../core/outbox-policy.ts";
import type { PendingRecord } from "../core/room-records.ts";
import type { RoomEvent, RoomState } from "../core/room-state.ts";
import type { RoomEffect } from "../core/room-transition.ts";
import type { DispatcherAddress } from "../../webhooks/core/lane-shards.ts";
import type { TenantId } from "../../../protocol/ids.ts";
import type { QueryDatabase } from "../../db/database.ts";
import type { AnalyticsOutbox } from "./analytics-outbox.ts";
import { chatOutboxQueue } from "./chat-outbox.ts";
import { guard, ignore } from "./guard.ts";
import type { ObjectStore } from "./object-store.ts";
import { Outbox, type DatabaseOpener, type OutboxName } from "./outbox.ts";
import { recordOutboxQueue } from "./record-outbox.ts";
import { readChatHistory, type RoomRecordKeys } from "./room-persistence.ts";
import type { RoomStore } from "./room-store.ts";
import type { RoomRecorder } from "./room-recorder.ts";
import type { ComposeInvoker } from "../../recordings/compose-invoker.ts";
import type { RecorderEffect } from "../core/recording-state.ts";

/** The outside services the room's effects reach, passed in (production's are built in meeting-room.ts). */
export interface RoomClients {
  openDatabase: DatabaseOpener;
  /** Neon's one-shot HTTP path (no session): the chat outbox's single-statement writes. */
  openQueryDatabase: DatabaseOpener<QueryDatabase>;
  objects: ObjectStore;
  media: { run(effect: SfuEffect, room: { tenantId: string; state: RoomState }): Promise<void> };
  /** Wakes webhook dispatchers after the outbox committed deliveries for them. */
  pokeWebhooks(dispatchers: DispatcherAddress[]): void;
  /** Call-quality records on their way to the ingestion function; null when analytics are not configured. */
  analytics: AnalyticsOutbox | null;
  /** The recorder pool; null when none is configured (a recording then fails at once, and says so). */
  recorder: RoomRecorder | null;
  /** Hands a stopped recording to the compositor; null when none is configured (it stays `processing`). */
  compose: ComposeInvoker | null;
}

/** What the runner needs of the room: its state, its reducer, its storage, and the runtime's waitUntil. */
export interface RoomHost {
  state(): RoomState | undefined;
  dispatch(event: RoomEvent): Promise<void>;
  store: RoomStore;
  waitUntil(work: Promise<unknown>): void;
  /** After an outbox flush: the alarm follows what is left. */
  afterFlush(): Promise<void>;
}

/** Effects delivered to sockets by the room itself; everything else runs here. */
export type RunnerEffect = Exclude<RoomEffect, { kind: "deliver" | "replay" | "close" }>;

/**
 * Carries out the reducer's effects that leave the room: Postgres through the two outboxes and history reads,
 * attachment URLs through the ObjectStore, media through RoomMedia. Each runs in the background (waitUntil)
 * under the guard, and reports back as a room event (a refusal when it failed).
 */
export class RoomEffects {
  readonly chat: Outbox<StoredChatMessage, QueryDatabase>;
  readonly records: Outbox<PendingRecord>;

  constructor(
    private readonly clients: RoomClients,
    private readonly room: RoomHost,
  ) {
    const options = {
      openDatabase: clients.openDatabase,
      keys: () => this.keys(),
      saveRetries: (outbox: OutboxName, retries: Record<string, RetryState>) => room.store.saveRetries(outbox, retries),
      waitUntil: (work: Promise<unknown>) => room.waitUntil(work),
      beforeWrite: () => room.store.writeDeferred(),
    };
    const pokeWebhooks = (dispatchers: DispatcherAddress[]) => {
      if (dispatchers.length) clients.pokeWebhooks(dispatchers);
    };
    this.chat = new Outbox(chatOutboxQueue(room, pokeWebhooks), { ...options, openDatabase: clients.openQueryDatabase });
    this.records = new Outbox(
      recordOutboxQueue(room.store, pokeWebhooks, {
        compose: async (keys, stopped) => {
          await clients.compose?.compose({ kind: "compose", tenantId: keys.tenantId as TenantId, ...stopped });
        },
      }),
      options,
    );
  }

  run(effect: RunnerEffect): void {
    this.room.waitUntil(this.perform(effect));
  }

  /** Both outboxes and the analytics queue, then the alarm: the retry path after a failure, also across evictions. */
  async flushOutboxes(): Promise<void> {
    await Promise.all([this.flush(this.chat), this.flush(this.records), this.flushAnalytics()]);
  }

  /** The record outbox now, without its gathering wait: the API ends a meeting only after its room's records are in. */
  async flushRecordsNow(): Promise<void> {
    await this.flush(this.records);
  }

  outboxDueAt(): number | null {
    const due = [this.chat.dueAt(), this.records.dueAt(), this.clients.analytics?.dueAt() ?? null].filter(
      (at): at is number => at !== null,
    );
    return due.length ? Math.min(...due) : null;
  }

  analyticsStatus() {
    return this.clients.analytics?.status() ?? null;
  }

  private flushAnalytics(closeOpen = false): Promise<unknown> {
    const analytics = this.clients.analytics;
    return analytics ? guard("analytics_flush", () => analytics.flush({ closeOpen }), ignore) : Promise.resolve();
  }

  private flush(outbox: Outbox<unknown, QueryDatabase>, soon = false): Promise<unknown> {
    return guard(
      "outbox_flush",
      async () => {
        await (soon ? outbox.flushSoon() : outbox.flush());
        await this.room.afterFlush();
      },
      ignore,
    );
  }

  private async perform(effect: RunnerEffect): Promise<unknown> {
    switch (effect.kind) {
      case "record_join":
      case "record_leave":
      case "record_session_end":
      case "record_usage":
      case "record_lobby_decision":
      case "record_recording":
        // Already in the outbox (the store kept it with the state); this only starts the flush.
        return this.flush(this.records, true);
      case "persist_chat":
        return this.flush(this.chat, true);
      case "presign_upload": {
        const { identity, ref, name, contentType, sizeBytes } = effect;
        return guard(
          effect.kind,
          async () => {
            const upload = await this.clients.objects.presignUpload({ ...this.requireKeys(), name, contentType, sizeBytes });
            await this.room.dispatch({ kind: "upload_ready", identity, ref, ...upload });
          },
          () => this.room.dispatch({ kind: "reject", identity, code: "internal_error", message: "could not prepare the upload", ref }),
        );
      }
      case "presign_download": {
        const { identity, ref, objectKey } = effect;
        return guard(
          effect.kind,
          async () => {
            const { tenantId, meetingId } = this.requireKeys();
            // Checked again here: the reducer's check is the one that matters, this one guards the signing key.
            if (!isTenantAttachment(objectKey, tenantId, meetingId)) {
              return this.room.dispatch({
                kind: "reject",
                identity,
                code: "not_found",
                message: "no such attachment in this meeting",
                ref,
              });
            }
            await this.room.dispatch({ kind: "download_ready", identity, ref, ...(await this.clients.objects.presignDownload(objectKey)) });
          },
          () => this.room.dispatch({ kind: "reject", identity, code: "internal_error", message: "could not prepare the download", ref }),
        );
      }
      case "load_chat_history":
        return this.loadChatHistory(effect);
      case "analytics_record": {
        const analytics = this.clients.analytics;
        if (!analytics) return;
        return guard(
          effect.kind,
          async () => {
            await analytics.add(effect);
            // Nobody left to sample: what the room holds goes now, not when the batch would have aged out.
            const state = this.room.state();
            if (effect.list === "sessions" && state && !Object.keys(state.members).length) await this.flushAnalytics(true);
            else await this.room.afterFlush();
          },
          ignore,
        );
      }
      case "place_media":
      case "grant_sfu":
      case "probe_media":
      case "sfu_moderate":
        return guard(
          effect.kind,
          () => this.clients.media.run(effect, { tenantId: this.requireKeys().tenantId, state: this.room.state()! }),
          () => (effect.kind === "place_media" ? this.room.dispatch({ kind: "media_placement_failed", reason: "sfu_error" }) : undefined),
        );
      case "new_recording":
      case "recorder_start":
      case "recorder_command":
      case "recorder_exclude":
      case "recorder_check":
      case "recorder_move":
        return this.runRecorder(effect);
      default:
        return effect satisfies never;
    }
  }

  private runRecorder(effect: RecorderEffect): Promise<unknown> {
    const recorder = this.clients.recorder;
    return guard(
      effect.kind,
      async () => {
        const state = this.room.state();
        if (!state) return;
        if (recorder) return recorder.run(effect, { tenantId: this.requireKeys().tenantId, state });
        if (effect.kind === "new_recording") {
          const { by, layout, consentRequired } = effect;
          const request = { action: "start" as const, recordingId: crypto.randomUUID(), by, layout, consentRequired };
          return this.room.dispatch({ kind: "recording_command", request });
        }
        if (effect.kind === "recorder_start")
          return this.room.dispatch({
            kind: "recorder",
            answer: { kind: "recorder_failed", recordingId: effect.recordingId, reason: "no recorder is configured" },
          });
      },
      ignore,
    );
  }

  /** Completes a history page from Postgres; if it can't be reached the client is told to retry, not sent a short page. */
  private loadChatHistory(effect: Extract<RoomEffect, { kind: "load_chat_history" }>): Promise<unknown> {
    const { identity, ref, beforeSeq, limit, window } = effect;
    return guard(
      effect.kind,
      async () => {
        const handle = this.clients.openDatabase();
        try {
          const archived = await readChatHistory(handle.db, this.requireKeys(), beforeSeq, limit);
          await this.room.dispatch({
            kind: "history_loaded",
            identity,
            ref,
            window,
            archived: archived.messages,
            hasMore: archived.hasMore,
          });
        } finally {
          this.room.waitUntil(handle.close().catch(() => {}));
        }
      },
      () =>
        this.room.dispatch({
          kind: "reject",
          identity,
          code: "temporarily_unavailable",
          message: "older chat is unavailable right now; retry shortly",
          ref,
        }),
    );
  }

  /** Whose meeting this is; undefined before the first connect named the tenant. */
  private keys(): RoomRecordKeys | undefined {
    const state = this.room.state();
    return state?.tenantId ? { tenantId: state.tenantId, meetingId: state.meetingId } : undefined;
  }

  private requireKeys(): RoomRecordKeys {
    const keys = this.keys();
    if (!keys) throw new Error("room has no tenant yet");
    return keys;
  }
}
