import { DurableObject } from "cloudflare:workers";
import { httpDatabase, openDatabase } from "../db/database.ts";
import { readConfig, type Env } from "../env.ts";
import { describeError, logEvent } from "../observability/log.ts";
import { WebhookEndpointId } from "../../protocol/ids.ts";
import { EndpointDispatch, type DispatchPorts } from "./dispatch-run.ts";
import { disableEndpoint, loadDispatchEndpoint, loadLanes, setFailingSince, writeSettledAttempts } from "./delivery-repository.ts";
import { pokeDispatchers } from "./dispatcher-client.ts";
import { parseRetrySchedule } from "./retry-schedule.ts";
import { sendDelivery } from "./send-delivery.ts";
import { targetPolicyOf } from "./target-policy.ts";

/** Deliveries per lane read per pass; more wait for the next pass. */
const perLane = 50;
/** After a failed run (the database unreachable), the alarm tries again this much later. */
const retryRunMs = 5_000;

/**
 * One per webhook endpoint: sends its deliveries (dispatch-run.ts decides) and sleeps on its alarm until the next
 * is due. Woken by a poke after deliveries are recorded, by its alarm, or by the sweep. Holds no delivery state of
 * its own: Postgres is the queue, so a restart or eviction loses nothing and at worst repeats one send.
 */
export class WebhookDispatcher extends DurableObject<Env> {
  private running: EndpointDispatch | null = null;

  override async fetch(request: Request): Promise<Response> {
    const endpointId = WebhookEndpointId.safeParse(request.headers.get("x-endpoint-id"));
    if (request.method !== "POST" || !endpointId.success) return new Response(null, { status: 400 });
    try {
      if ((await this.ctx.storage.get<string>("endpointId")) !== endpointId.data) await this.ctx.storage.put("endpointId", endpointId.data);
      if (this.running) this.running.poke();
      else await this.ctx.storage.setAlarm(Date.now());
      return new Response(null, { status: 202 });
    } catch (error) {
      logEvent("webhook_dispatcher_error", { endpointId: endpointId.data, where: "poke", error: describeError(error) });
      return new Response(null, { status: 503 });
    }
  }

  override async alarm(): Promise<void> {
    const endpointId = await this.ctx.storage.get<string>("endpointId");
    if (!endpointId) return;
    const dispatch = new EndpointDispatch(this.ports(endpointId), this.options());
    this.running = dispatch;
    let next: number | null = null;
    try {
      next = await dispatch.run();
    } catch (error) {
      logEvent("webhook_dispatcher_error", { endpointId, where: "alarm", error: describeError(error) });
      next = Date.now() + retryRunMs;
    } finally {
      this.running = null;
    }
    if (dispatch.pokedSinceLastRead) next = Date.now();
    // Issued before anything else can run, so a poke arriving now sets its own (earlier) alarm after this one.
    if (next === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(next);
  }

  private options() {
    const config = readConfig(this.env);
    return {
      schedule: parseRetrySchedule(config.WEBHOOK_RETRY_SCHEDULE),
      laneConcurrency: config.WEBHOOK_LANE_CONCURRENCY,
      writeBatch: 64,
    };
  }

  private ports(endpointId: string): DispatchPorts {
    const config = readConfig(this.env);
    const db = httpDatabase(config.DATABASE_URL, config.NEON_WS_PROXY);
    const policy = targetPolicyOf(config);
    return {
      loadEndpoint: () => loadDispatchEndpoint(db, endpointId),
      loadLanes: (endpoint) => loadLanes(db, endpoint, perLane, config.WEBHOOK_LANE_CONCURRENCY * 4),
      send: (endpoint, delivery, at) => sendDelivery(endpoint, delivery, at, policy),
      writeSettled: async (endpoint, settled) => {
        await writeSettledAttempts(db, endpoint.tenantId, settled);
        for (const attempt of settled) {
          if (attempt.settlement.delivery.status === "dead") {
            logEvent("webhook_delivery_dead", { endpointId, deliveryId: attempt.deliveryId, attempts: attempt.attempt });
          }
        }
      },
      setFailingSince: (endpoint, at) => setFailingSince(db, endpoint, at),
      disable: async (endpoint, reason) => {
        const handle = openDatabase(config.DATABASE_URL, config.NEON_WS_PROXY);
        try {
          const others = await disableEndpoint(handle.db, endpoint, reason, new Date());
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
