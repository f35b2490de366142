import { describeError, logEvent } from "../observability/log.ts";
import { dispatcherName, type DispatcherAddress } from "./core/lane-shards.ts";

/** The path a dispatcher answers to be woken (the only one it has besides its alarm). */
export const dispatcherPokePath = "https://webhook-dispatcher/poke";

/**
 * Wakes these dispatchers after the transaction that recorded their deliveries committed. Best effort by design:
 * a lost poke delays nothing for long, because the sweep (cron) wakes any dispatcher with a due delivery, and
 * each dispatcher keeps its own alarm while it holds work.
 */
export async function pokeDispatchers(namespace: DurableObjectNamespace, addresses: Iterable<DispatcherAddress>): Promise<void> {
  const unique = new Map<string, DispatcherAddress>();
  for (const address of addresses) unique.set(dispatcherName(address), address);
  await Promise.all(
    [...unique].map(async ([name, { endpointId, shard }]) => {
      try {
        const stub = namespace.get(namespace.idFromName(name));
        const response = await stub.fetch(dispatcherPokePath, {
          method: "POST",
          headers: { "x-endpoint-id": endpointId, "x-shard": String(shard) },
        });
        await response.body?.cancel();
      } catch (error) {
        logEvent("webhook_poke_failed", { endpointId, error: describeError(error) });
      }
    }),
  );
}
