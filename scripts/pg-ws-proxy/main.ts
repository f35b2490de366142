import { startPgWsProxy } from "./proxy-server.ts";
import { parseAllowlist, parseHostPort } from "./tunnel-request.ts";

// Daemon entry, started by scripts/services/postgres.ts:
//   PG_WS_PROXY_LISTEN=127.0.0.1:6543 PG_WS_PROXY_ALLOW=127.0.0.1:54329 node --import tsx scripts/pg-ws-proxy/main.ts
const listen = parseHostPort(process.env.PG_WS_PROXY_LISTEN ?? "127.0.0.1:6543");
if (!listen) throw new Error(`PG_WS_PROXY_LISTEN must be host:port, got ${process.env.PG_WS_PROXY_LISTEN}`);
const allow = parseAllowlist(process.env.PG_WS_PROXY_ALLOW ?? "");

const proxy = await startPgWsProxy({
  ...listen,
  allow,
  log: (event) => console.log(JSON.stringify({ time: new Date().toISOString(), ...event })),
});

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    void proxy.close().finally(() => process.exit(0));
  });
}
