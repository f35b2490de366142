/** What the bridge writes to its log (.data/logs/upstash-bridge.log): one JSON line per event, never a header or body. */
export type BridgeLogEvent =
  | { event: "listening"; url: string; redis: string }
  | { event: "redis_connection_error"; message: string }
  | { event: "request_failed"; route: string; status: number; message: string }
  | { event: "shutting_down"; signal: string };

export type BridgeLogger = (event: BridgeLogEvent) => void;

export const jsonLineLogger: BridgeLogger = (event) => {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`);
};
