import { Client, Pool } from "@neondatabase/serverless";
import ws from "ws";
import { host, ports } from "./local-config.ts";

type NeonSocketConfig = Client["neonConfig"];

/**
 * Settings that let the Neon driver reach a plain Postgres through our WebSocket proxy
 * (scripts/pg-ws-proxy). A Worker sets the same ones, with workerd's global WebSocket.
 */
export function useLocalWsProxy(config: NeonSocketConfig, wsProxy: string): void {
  config.webSocketConstructor = ws;
  // The driver dials `ws://` + wsProxy + `?address=host:port`; wsProxy is `host:port[/path]`, no scheme.
  config.wsProxy = wsProxy;
  config.useSecureWebSocket = false;
  // Pipelining sends the password before the server asks for it, which only works with cleartext auth;
  // a SCRAM server rejects the connection.
  config.pipelineConnect = false;
  config.pipelineTLS = false;
  // No TLS inside the tunnel either: everything is loopback.
  config.forceDisablePgSSL = true;
}

/**
 * A Neon `Pool` for Node scripts and tests that talks to the local Postgres the way a Worker talks to Neon.
 * The settings go on each client rather than the global `neonConfig`, so pools aimed at different proxies
 * can live in one process.
 */
export function createNodePool(databaseUrl: string, wsProxy = `${host}:${ports.pgWsProxy}`): Pool {
  class ProxiedClient extends Client {
    constructor(...args: ConstructorParameters<typeof Client>) {
      super(...args);
      useLocalWsProxy(this.neonConfig, wsProxy);
    }
  }
  const pool = new Pool({ connectionString: databaseUrl });
  // NeonPool pins its own Client class in a field, ignoring the `Client` option, so it is replaced here.
  pool.Client = ProxiedClient;
  return pool;
}
