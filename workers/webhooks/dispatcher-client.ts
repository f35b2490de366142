import { logEvent, describeError } from "../observability/log.ts";

/** The path a dispatcher answers to be woken (the only one it has besides its alarm). */
export const dispatcherPokePath = "https://webhook-dispatcher/poke";

/**
 * Wakes the dispatchers of these endpoints after the transaction that recorded their deliveries committed.
 * Best effort by design: a lost poke delays nothing for long, because the sweep (cron) wakes any endpoint
 * with a due delivery, and each dispatcher keeps its own alarm while it holds work.
 */
export async function pokeDispatchers(namespace: DurableObjectNamespace, endpointIds: Iterable<string>): Promise<void> {
  const unique = [...new Set(endpointIds)];
  await Promise.all(
    unique.map(async (endpointId) => {
      try {
        const stub = namespace.get(namespace.idFromName(endpointId));
        const response = await stub.fetch(dispatcherPokePath, { method: "POST", headers: { "x-endpoint-id": endpointId } });
        await response.body?.cancel();
      } catch (error) {
        logEvent("webhook_poke_failed", { endpointId, error: describeError(error) });
      }
    }),
  );
}
