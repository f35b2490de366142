/**
 * An endpoint's lanes are spread over several dispatchers, because one Worker invocation keeps at most six outgoing
 * connections open at a time: with one dispatcher, a receiver that takes 20 ms per event would cap an endpoint at a
 * few hundred deliveries a second. A lane always maps to one shard, so its order is kept. The count is stored with
 * each delivery; changing it moves lanes, so it may only change while endpoints are drained.
 */
export const dispatchShards = 8;

/** FNV-1a of the lane key, modulo the shard count. */
export function laneShard(laneKey: string, shards = dispatchShards): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < laneKey.length; i++) {
    hash ^= laneKey.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % shards;
}

/** One dispatcher: an endpoint's shard. */
export interface DispatcherAddress {
  endpointId: string;
  shard: number;
}

/** Every shard of an endpoint (to wake them all when it is re-enabled). */
export const allShardsOf = (endpointId: string): DispatcherAddress[] =>
  Array.from({ length: dispatchShards }, (_, shard) => ({ endpointId, shard }));

export const dispatcherName = ({ endpointId, shard }: DispatcherAddress) => `${endpointId}/${shard}`;
