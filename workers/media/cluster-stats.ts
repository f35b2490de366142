import { decodeClusterNode, latestByRegion, type ClusterNode } from "../../media-fleet/livekit/cluster-node.ts";

/**
 * Reads a self-hosted LiveKit cluster's node records (CPU load, clients, rooms, freshness) from its Redis
 * through an Upstash-compatible REST endpoint. Raw fetch rather than @upstash/redis: the records are binary
 * protobuf, and the client decodes every reply as UTF-8 text. `Upstash-Encoding: base64` keeps the bytes exact.
 */
export interface ClusterStatsSource {
  url: string;
  token: string;
}

export async function readClusterStats(source: ClusterStatsSource, timeoutMs = 1000): Promise<Map<string, ClusterNode>> {
  const response = await fetch(source.url, {
    method: "POST",
    headers: { authorization: `Bearer ${source.token}`, "upstash-encoding": "base64", "content-type": "application/json" },
    body: JSON.stringify(["HGETALL", "nodes"]),
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!response.ok) throw new Error(`cluster stats: HTTP ${response.status}`);
  const { result } = (await response.json()) as { result?: unknown };
  if (!Array.isArray(result)) return new Map();
  const nodes: ClusterNode[] = [];
  // HGETALL alternates field and value; values are protobuf records, base64 on the wire.
  for (let i = 1; i < result.length; i += 2) {
    const value = result[i];
    if (typeof value !== "string") continue;
    try {
      nodes.push(decodeClusterNode(Uint8Array.from(atob(value), (c) => c.charCodeAt(0))));
    } catch {
      /* a record this version cannot read is skipped, not fatal */
    }
  }
  return latestByRegion(nodes);
}
