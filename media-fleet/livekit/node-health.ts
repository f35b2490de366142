import { toMediaFleetError } from "./livekit-errors.ts";
import type { RoomServiceTransport } from "./rooms.ts";

/**
 * Is one LiveKit node serving? `GET /` answers 200 only while the node's stats in the cluster are fresh (406
 * "Not Ready" otherwise, a refused connection when the process is gone). With a room-service transport, a
 * `listRooms` must also succeed: the API answers and the node reaches the cluster's Redis.
 */

export interface NodeProbe {
  healthy: boolean;
  /** Time to the node's answer, or to giving up. */
  latencyMs: number;
  /** What went wrong, for logs; never a URL with credentials or a token. */
  error?: string;
}

export interface ProbeOptions {
  /** Per probe, both checks together; short, so a stalled node counts as a failure before the next probe. */
  timeoutMs?: number;
  /** The node's room service, for the optional API check; its own request timeout should be as short. */
  rooms?: Pick<RoomServiceTransport, "listRooms">;
  fetch?: typeof fetch;
}

/** Signalling URLs (ws/wss) point at the same host as the API. */
const httpUrl = (url: string) => url.replace(/^ws/, "http").replace(/\/+$/, "");

function describeFailure(error: unknown): string {
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) return "timed out";
  const code = (error as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  return typeof code === "string" ? `unreachable (${code})` : `unreachable (${error instanceof Error ? error.message : "unknown error"})`;
}

/** A `listRooms` that gives up after `ms`, whatever the transport's own timeout. */
function listRoomsWithin(rooms: Pick<RoomServiceTransport, "listRooms">, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error("list rooms timed out"), { name: "TimeoutError" })), ms);
  });
  // An empty name list: no room data, just a round trip through the API and Redis.
  return Promise.race([rooms.listRooms([]), timeout]).finally(() => clearTimeout(timer));
}

export async function probeNode(url: string, options: ProbeOptions = {}): Promise<NodeProbe> {
  const timeoutMs = options.timeoutMs ?? 1_000;
  const doFetch = options.fetch ?? fetch;
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const response = await doFetch(`${httpUrl(url)}/`, { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    if (response.status !== 200) {
      const reason = response.status === 406 ? "not ready (stale stats)" : "unexpected status";
      return { healthy: false, latencyMs: elapsed(), error: `HTTP ${response.status}: ${reason}` };
    }
  } catch (error) {
    return { healthy: false, latencyMs: elapsed(), error: describeFailure(error) };
  }
  if (options.rooms) {
    try {
      await listRoomsWithin(options.rooms, Math.max(1, timeoutMs - elapsed()));
    } catch (error) {
      const failure = toMediaFleetError(error, "list rooms");
      return { healthy: false, latencyMs: elapsed(), error: `room service: ${failure.code}` };
    }
  }
  return { healthy: true, latencyMs: elapsed() };
}
