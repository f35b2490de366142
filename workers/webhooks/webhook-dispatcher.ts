import { DurableObject } from "cloudflare:workers";
import { httpDatabase, openDatabase } from "../db/database.ts";
import { withTimeout } from "../health/run-probes.ts";
import { readConfig, type Env } from "../env.ts";
import { describeError, logEvent } from "../observability/log.ts";
import { WebhookEndpointId } from "../../protocol/ids.ts";
import { EndpointDispatch, type DispatchPorts } from "./core/dispatch-run.ts";
import { disableEndpoint, loadDispatchEndpoint, loadLanes, setFailingSince, writeSettledAttempts } from "./delivery-repository.ts";
import { pokeDispatchers } from "./dispatcher-client.ts";
import { dispatchShards, type DispatcherAddress } from "./core/lane-shards.ts";
import { parseRetrySchedule } from "./core/retry-schedule.ts";
import { openSecret, secretsKey } from "../crypto/secret-box.ts";
import { sendDelivery } from "./send-delivery.ts";
import { targetPolicyOf } from "./target-policy.ts";

/** Deliveries per lane read per pass; more wait for the next pass. */
const perLane = 50;
/** After a failed run (the database unreachable), the alarm tries again this much later. */
const retryRunMs = 5_000;
/**
 * Every database call of a run is bounded: a query that never answers (a connection lost mid-request) fails the run,
 * which is retried, instead of holding the dispatcher and every poke it absorbs forever.
 */
const databaseTimeoutMs = 10_000;
const bounded = <T>(work: Promise<T>): Promise<T> => withTimeout(work, databaseTimeoutMs);
/** A run that sent something looks at its queue once more this much later. */
const lingerMs = 3_000;
/** While a run is going, the alarm stands this far ahead, in case the run is cut short. */
const safetyAlarmMs = 60_000;

/** Sets the alarm for the next due delivery, or clears it when nothing waits. */
async function guardAlarm(storage: DurableObjectStorage, next: number | null): Promise<void> {
  if (next === null) await storage.deleteAlarm();
  else await storage.setAlarm(next);
}

/**
 * One per webhook endpoint and shard (lane-shards.ts): sends its deliveries (dispatch-run.ts decides) and sleeps on its alarm until the next
 * is due. Woken by a poke after deliveries are recorded (it starts sending at once), by its alarm, or by the sweep. Holds no delivery state of
 * its own: Postgres is the queue, so a restart or eviction loses nothing and at worst repeats one send.
 */
export class WebhookDispatcher extends DurableObject<Env> {
  private running: EndpointDispatch | null = null;

  override async fetch(request: Request): Promise<Response> {
    const endpointId = WebhookEndpointId.safeParse(request.headers.get("x-endpoint-id"));
    const shard = Number(request.headers.get("x-shard"));
    if (request.method !== "POST" || !endpointId.success || !Number.isInteger(shard) || shard < 0 || shard >= dispatchShards) {
      return new Response(null, { status: 400 });
    }
    try {
      const address: DispatcherAddress = { endpointId: endpointId.data, shard };
      const stored = await this.ctx.storage.get<DispatcherAddress>("address");
      if (stored?.endpointId !== address.endpointId || stored.shard !== shard) await this.ctx.storage.put("address", address);
      if (this.running) this.running.poke();
      else this.ctx.waitUntil(this.dispatch(address));
      return new Response(null, { status: 202 });
    } catch (error) {
      logEvent("webhook_dispatcher_error", { endpointId: endpointId.data, where: "poke", error: describeError(error) });
      return new Response(null, { status: 503 });
    }
  }

  override async alarm(): Promise<void> {
    const address = await this.ctx.storage.get<DispatcherAddress>("address");
    if (!address) return;
    if (this.running) this.running.poke();
    else await this.dispatch(address);
  }

  /**
   * One run, started at once by a poke (no alarm round trip) or by the alarm. A safety alarm is set first, so a run
   * cut short by an eviction is picked up again; when the run ends the alarm follows what is left.
   */
  private async dispatch(address: DispatcherAddress): Promise<void> {
    const dispatch = new EndpointDispatch(this.ports(address), this.options());
    this.running = dispatch;
    let next: number | null = null;
    try {
      await this.ctx.storage.setAlarm(Date.now() + safetyAlarmMs);
      // A poke that came while the run was finishing is served here, not by an alarm round trip.
      do next = await dispatch.run();
      while (dispatch.pokedSinceLastRead);
    } catch (error) {
      logEvent("webhook_dispatcher_error", { endpointId: address.endpointId, where: "dispatch", error: describeError(error) });
      next = Date.now() + retryRunMs;
    } finally {
      if (this.running === dispatch) this.running = null;
    }
    // After a run that sent something, look once more a little later: a fact committed as the run ended is picked up
    // within seconds even if its poke was lost (the cron's sweep is the backstop beyond that).
    if (next === null && dispatch.attemptedAny) next = Date.now() + lingerMs;
    await guardAlarm(this.ctx.storage, next);
  }

  private options() {
    const config = readConfig(this.env);
    return {
      schedule: parseRetrySchedule(config.WEBHOOK_RETRY_SCHEDULE),
      laneConcurrency: config.WEBHOOK_LANE_CONCURRENCY,
      writeBatch: 64,
      perLane,
    };
  }

  private ports({ endpointId, shard }: DispatcherAddress): DispatchPorts {
    const config = readConfig(this.env);
    const db = httpDatabase(config.DATABASE_URL, config.NEON_WS_PROXY);
    const policy = targetPolicyOf(config);
    return {
      loadEndpoint: async () => {
        const key = await secretsKey(config.WEBHOOK_SECRETS_KEY);
        return bounded(loadDispatchEndpoint(db, endpointId, (id, stored) => openSecret(key, id, stored)));
      },
      loadLanes: (endpoint, inFlight) => bounded(loadLanes(db, endpoint, shard, perLane, config.WEBHOOK_LANE_CONCURRENCY * 2, inFlight)),
      send: (endpoint, delivery, at) => sendDelivery(endpoint, delivery, at, policy),
      writeSettled: async (endpoint, settled) => {
        await bounded(writeSettledAttempts(db, endpoint.tenantId, settled));
        for (const attempt of settled) {
          if (attempt.settlement.delivery.status === "dead") {
            logEvent("webhook_delivery_dead", { endpointId, deliveryId: attempt.deliveryId, attempts: attempt.attempt });
          }
        }
      },
      setFailingSince: (endpoint, at) => bounded(setFailingSince(db, endpoint, at)),
      disable: async (endpoint, reason) => {
        const handle = openDatabase(config.DATABASE_URL, config.NEON_WS_PROXY);
        try {
          const others = await bounded(disableEndpoint(handle.db, endpoint, reason, new Date()));
          logEvent("webhook_endpoint_disabled", { endpointId, reason });
          await pokeDispatchers(this.env.WEBHOOK_DISPATCHER, others);
        } finally {
          this.ctx.waitUntil(handle.close().catch(() => {}));
        }
      },
      now: Date.now,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    };
  }
}
