import { httpDatabase } from "../db/database.ts";
import { readConfig, type Env } from "../env.ts";
import { dispatchersWithDueDeliveries } from "./delivery-repository.ts";
import { pokeDispatchers } from "./dispatcher-client.ts";

/** Endpoints woken per sweep; the rest are reached by the next one. */
const sweepLimit = 1_000;

/**
 * The cron's sweep: pokes every dispatcher of an enabled endpoint with a due delivery. Dispatchers wake themselves while they hold
 * work; this covers the one gap, a Worker that stopped between committing deliveries and poking their dispatcher.
 */
export async function sweepDueDeliveries(env: Env): Promise<number> {
  const config = readConfig(env);
  const dispatchers = await dispatchersWithDueDeliveries(httpDatabase(config.DATABASE_URL, config.NEON_WS_PROXY), new Date(), sweepLimit);
  await pokeDispatchers(env.WEBHOOK_DISPATCHER, dispatchers);
  return dispatchers.length;
}
