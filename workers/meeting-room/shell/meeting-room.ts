import { DurableObject } from "cloudflare:workers";
import { closeCodes } from "../../../protocol/close-codes.ts";
import { httpDatabase, openDatabase } from "../../db/database.ts";
import { readConfig, type Env } from "../../env.ts";
import { logEvent } from "../../observability/log.ts";
import { planAlarm } from "../core/alarm-plan.ts";
import { connectRefusal, roomBornOf } from "../core/room-configuration.ts";
import { identityHolder, mayTakeIdentity } from "../core/identity-holder.ts";
import { reduce } from "../core/room-reducer.ts";
import type { RoomEvent, RoomState } from "../core/room-state.ts";
import type { RoomEffect } from "../core/room-transition.ts";
import { frameEvent, intake } from "./frame-intake.ts";
import { guard, ignore } from "./guard.ts";
import { turnIceServers, type IceServerIssuer } from "./ice-servers.ts";
import { RoomEffects } from "./room-effects.ts";
import { createRoomMedia } from "./room-media.ts";
import type { RecordingCommand, RecordingCommandAnswer, RoomAnalyticsStatus } from "../../../protocol/room-contract.ts";
import { recordingIndicator, recordingRefusal, recordingRefusalDetail } from "../core/room-recording.ts";
import { readRoomRoute, roomRouteError, roomSettingsRequired } from "./room-routes.ts";
import { RoomSockets } from "./room-sockets.ts";
import { RoomStore } from "./room-store.ts";
import { S3ObjectStore } from "./s3-object-store.ts";
import { pokeDispatchers } from "../../webhooks/dispatcher-client.ts";
import { mediaFleetOf } from "../../media/media-fleet-config.ts";
import { fleetNodes } from "../../../media-fleet/fleet-config.ts";
import { defaultAnalyticsQueuePolicy, emptyCounters } from "../core/analytics-queue.ts";
import { analyticsRegion } from "../core/analytics-region.ts";
import { lambdaIngest } from "./analytics-ingest.ts";
import { AnalyticsOutbox } from "./analytics-outbox.ts";
import { composeInvoker } from "../../recordings/compose-invoker.ts";
import { recorderOf } from "../../recordings/recorder-of.ts";
import { RoomRecorder } from "./room-recorder.ts";

/** The compositor's invoker, or none on a bad configuration (the Worker refuses requests then, and says why). */
function composeOf(env: Env) {
  try {
    return composeInvoker(readConfig(env));
  } catch {
    return null;
  }
}

/** The recorder pool's room shell, or none when not configured (recordings then fail at once, saying why). */
function recorderShellOf(env: Env, dispatch: (event: RoomEvent) => Promise<void>) {
  try {
    const recorder = recorderOf(readConfig(env));
    return recorder ? new RoomRecorder(recorder, dispatch) : null;
  } catch {
    return null;
  }
}

const emptyAnalyticsStatus = { ...emptyCounters, openRecords: 0, queuedBatches: 0, queuedSamples: 0 };

/**
 * One Durable Object per meeting: a thin shell around the pure reducer (core/room-reducer.ts). Each runtime
 * hook decodes its input into a room event and dispatches it: `reduce`, store the changed entries (and the
 * outbox records) before anything is sent, set the alarm, apply the effects. WebSockets use the Hibernation
 * API, so an idle meeting costs nothing; every hook runs under `guard`, so nothing it throws leaves the object.
 */
export class MeetingRoom extends DurableObject<Env> {
  private state: RoomState | undefined;
  /** When the room itself next needs a tick (null: never); outbox retries are merged in by the alarm plan. */
  private roomDueAt: number | null = null;
  private alarmSetFor: number | null | undefined;
  private readonly store: RoomStore;
  private readonly sockets: RoomSockets;
  private readonly effects: RoomEffects;
  private readonly iceServers: IceServerIssuer;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const dispatch = (event: RoomEvent) => this.dispatch(event);
    this.store = new RoomStore(ctx.storage);
    this.sockets = new RoomSockets(ctx);
    // A send leaves only after the writes issued before it commit (the output gate): deferred ones are issued first.
    this.sockets.onBeforeSend(() => {
      void this.store.writeDeferred().catch((error: unknown) => logEvent("room_storage_write_failed", { error: String(error) }));
    });
    this.iceServers = turnIceServers(env);
    const analytics = this.analyticsOutbox(ctx, env);
    this.effects = new RoomEffects(
      {
        openDatabase: () => openDatabase(env.DATABASE_URL, env.NEON_WS_PROXY),
        // Holds no socket: nothing to close.
        openQueryDatabase: () => ({ db: httpDatabase(env.DATABASE_URL, env.NEON_WS_PROXY), close: async () => {} }),
        objects: new S3ObjectStore(() => readConfig(env)),
        media: createRoomMedia(env, dispatch),
        pokeWebhooks: (dispatchers) => ctx.waitUntil(pokeDispatchers(env.WEBHOOK_DISPATCHER, dispatchers)),
        analytics,
        recorder: recorderShellOf(env, dispatch),
        compose: composeOf(env),
      },
      {
        state: () => this.state,
        dispatch,
        store: this.store,
        waitUntil: (work) => ctx.waitUntil(work),
        afterFlush: () => this.scheduleAlarm(),
      },
    );
    void ctx.blockConcurrencyWhile(async () => {
      const loaded = await this.store.load();
      for (const key of loaded.corrupt) logEvent("room_storage_corrupt", { meetingId: loaded.state?.meetingId, key });
      this.state = loaded.state;
      this.effects.chat.restore(loaded.retries.chat);
      this.effects.records.restore(loaded.retries.records);
      for (const key of (await analytics?.load()) ?? []) logEvent("room_storage_corrupt", { meetingId: loaded.state?.meetingId, key });
    });
  }

  private analyticsStatus(): RoomAnalyticsStatus {
    const status = this.effects.analyticsStatus();
    return status ? { enabled: true, ...status } : { enabled: false, ...emptyAnalyticsStatus };
  }

  /** The room's analytics queue, when an ingestion function is configured (analytics-outbox.ts). */
  private analyticsOutbox(ctx: DurableObjectState, env: Env): AnalyticsOutbox | null {
    let config: ReturnType<typeof readConfig>;
    try {
      config = readConfig(env);
    } catch {
      return null; // the Worker refuses every request on a bad configuration and says why; the room only goes without
    }
    const ingest = lambdaIngest(config);
    if (!ingest) return null;
    const regionOfNode = (nodeId: string) => fleetNodes(mediaFleetOf(env)).find((node) => node.id === nodeId)?.regionId;
    return new AnalyticsOutbox({
      storage: ctx.storage,
      ingest,
      policy: {
        ...defaultAnalyticsQueuePolicy,
        maxQueuedSamples: config.ANALYTICS_QUEUE_MAX_SAMPLES,
        maxBatchAgeMs: config.ANALYTICS_BATCH_MAX_AGE_MS,
      },
      keys: () => (this.state?.tenantId ? { tenantId: this.state.tenantId, meetingId: this.state.meetingId } : undefined),
      region: () => (this.state ? analyticsRegion(this.state, regionOfNode) : "unknown"),
      afterSend: () => this.scheduleAlarm(),
    });
  }

  override async fetch(request: Request): Promise<Response> {
    const answer = await guard(
      "fetch",
      async () => {
        // An answer reflects only written state.
        await this.store.writeDeferred();
        const route = await readRoomRoute(request);
        if (route instanceof Response) return route;
        if (route.kind === "analytics_status") return Response.json(this.analyticsStatus());
        if (route.kind === "recording") return this.commandRecording(route.command);
        if (route.kind === "event") {
          await this.dispatch(route.event);
          // The API records a meeting ended before anyone joined itself, so it must see the room's joins first.
          if (route.event.kind === "end") await this.effects.flushRecordsNow();
          return Response.json(route.answer);
        }
        const { claims, settings } = route;
        // Live, the room is authoritative for its meeting's settings: the Worker sends none and reads no Postgres.
        if (!settings && !this.state) return roomSettingsRequired();
        if (settings) await this.dispatch({ kind: "configure", meetingId: claims.meetingId, tenantId: claims.tenantId, settings });
        const refusal = this.state && connectRefusal(this.state);
        if (refusal) return roomRouteError(refusal, refusal === "not_found" ? "No meeting with this id" : "The meeting has ended");
        // Checked before the accept, which would close the holder's socket.
        const holders = [this.state && identityHolder(this.state, claims.identity), this.sockets.claimsOf(claims.identity)];
        if (!holders.every((holder) => mayTakeIdentity(holder, claims))) {
          return roomRouteError(
            "identity_in_use",
            "Another person's token holds this identity in the meeting; mint one with an identity of your own",
          );
        }
        return this.sockets.accept(claims, closeCodes.replaced);
      },
      () => roomRouteError("internal_error", "the room failed on this request"),
    );
    return answer ?? roomRouteError("internal_error", "the room failed on this request");
  }

  /** A recording command from the API: refused as the reducer would refuse it, or carried out and answered. */
  private async commandRecording(command: RecordingCommand): Promise<Response> {
    const state = this.state;
    const refusal = state ? recordingRefusal({ state }, command) : "meeting_not_live";
    if (refusal) return roomRouteError(refusal, recordingRefusalDetail[refusal]);
    await this.dispatch({ kind: "recording_command", request: command });
    return Response.json({ recording: this.state ? recordingIndicator({ state: this.state }) : null } satisfies RecordingCommandAnswer);
  }

  override async webSocketMessage(socket: WebSocket, data: string | ArrayBuffer): Promise<void> {
    let ref: string | undefined;
    await guard(
      "webSocketMessage",
      async () => {
        const memory = this.sockets.of(socket);
        const taken = intake(data, memory, Date.now());
        ref = taken.ref;
        await this.dispatch(taken.kind === "refused" ? taken.event : await frameEvent(taken.frame, memory, this.state, this.iceServers));
      },
      () => this.reportInternalError(socket, ref),
    );
  }

  override async webSocketClose(socket: WebSocket, code: number): Promise<void> {
    await this.socketGone(socket, code === 1000 || code === 1001);
  }

  override async webSocketError(socket: WebSocket): Promise<void> {
    await this.socketGone(socket, false);
  }

  override async alarm(): Promise<void> {
    await guard(
      "alarm",
      async () => {
        this.alarmSetFor = undefined; // its handler runs: until here the alarm counted as pending (core/alarm-plan.ts)
        await this.store.writeDeferred();
        await this.dispatch({ kind: "tick" });
        await this.effects.flushOutboxes();
      },
      ignore,
    );
    // Whatever failed above, the next alarm is set for what is still due.
    await guard("alarm", () => this.scheduleAlarm(), ignore);
  }

  private async socketGone(socket: WebSocket, clean: boolean): Promise<void> {
    await guard(
      "webSocketClose",
      async () => {
        this.sockets.forget();
        const { identity } = this.sockets.of(socket).attachment;
        if (!this.sockets.hasOtherOpen(socket, identity)) await this.dispatch({ kind: "disconnected", identity, clean });
      },
      ignore,
    );
  }

  /** Answers a frame the room failed on: sequenced like every frame when possible, bare as a last resort. */
  private async reportInternalError(socket: WebSocket, ref: string | undefined): Promise<void> {
    const message = "the room could not handle that frame";
    try {
      const { identity } = this.sockets.of(socket).attachment;
      await this.dispatch({ kind: "reject", identity, code: "internal_error", message, ...(ref ? { ref } : {}) });
    } catch {
      this.sockets.sendBare(socket, { type: "error", code: "internal_error", message, ...(ref ? { ref } : {}) });
    }
  }

  private async dispatch(event: RoomEvent): Promise<void> {
    // A meeting nobody ever joined has no room to end: only a connect's `configure` creates one.
    const state = this.state ?? roomBornOf(event);
    if (!state) return;
    const result = reduce(state, event, Date.now());
    this.state = result.state;
    this.roomDueAt = result.nextAlarmAt;
    // Stored before any frame leaves: an acknowledged chat message is already durable in the DO, and a join or
    // leave is in the outbox before anyone hears of it. An event that only delivers frames and queues chat for
    // Postgres (a chat message, presence) defers its writes to the socket flush, which issues them before it sends
    // (and the chat outbox issues them before it reads): under load, the events of one coalescing window commit
    // together instead of once each.
    const deferrable = result.effects.every((effect) => effect.kind === "deliver" || effect.kind === "persist_chat");
    await this.store.save(result.state, result.effects, { defer: deferrable });
    await this.scheduleAlarm();
    for (const effect of result.effects) this.apply(effect);
    // Nothing queued to send: no flush will issue the deferred writes.
    if (this.store.hasDeferred() && !this.sockets.hasQueued()) await this.store.writeDeferred();
  }

  private apply(effect: RoomEffect): void {
    switch (effect.kind) {
      case "deliver":
        return this.sockets.deliver(effect.audience, effect.frame);
      case "replay":
        return this.sockets.replay(effect.identity, effect.frames);
      case "close":
        return this.sockets.close(effect.identity, effect.code, effect.reason);
      default:
        return this.effects.run(effect);
    }
  }

  /** One alarm serves the room's own deadlines and the outboxes' retries (core/alarm-plan.ts). */
  private async scheduleAlarm(): Promise<void> {
    const plan = planAlarm({
      roomDueAt: this.roomDueAt,
      outboxDueAt: this.effects.outboxDueAt(),
      current: this.alarmSetFor,
      now: Date.now(),
    });
    if (plan.kind === "keep") return;
    this.alarmSetFor = plan.kind === "set" ? plan.at : null;
    if (plan.kind === "set") await this.ctx.storage.setAlarm(plan.at);
    else await this.ctx.storage.deleteAlarm();
  }
}
