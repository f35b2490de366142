import http from "node:http";
import net from "node:net";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import { type TunnelCloseCode, wsCloseCodes, wsNormalClosure } from "./errors.ts";
import { initialFrontendState, scanFrontendBytes } from "./frontend-stream.ts";
import { createSqlOverHttp } from "./sql-over-http.ts";
import { decideTunnel, formatHostPort, type HostPort } from "./tunnel-request.ts";

/** Log events of the proxy; they carry no message contents (passwords and rows pass through it). */
export type ProxyEvent =
  | { event: "listening"; listen: string; allow: string[] }
  | { event: "refused"; code: TunnelCloseCode; detail: string }
  | { event: "tunnel_opened"; id: number; target: string }
  | { event: "tunnel_closed"; id: number; target: string; by: "terminate" | "client" | "server"; up: number; down: number }
  | { event: "tcp_error"; id: number; target: string; message: string };

export interface PgWsProxyOptions {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** The only host:port pairs a tunnel may reach. */
  allow: readonly HostPort[];
  log?: (event: ProxyEvent) => void;
}

export interface PgWsProxy {
  /** Where it listens, as the Neon driver's `wsProxy` string wants it: `host:port`, no scheme. */
  readonly address: HostPort;
  close(): Promise<void>;
}

// Bytes queued towards a slow WebSocket client before the Postgres socket is paused.
const highWaterMark = 1 << 20;
// After the client leaves, how long the upstream may take to finish reading before it is cut.
const upstreamLingerMs = 2_000;

/**
 * A WebSocket→TCP proxy in the shape of Neon's wsproxy (one Postgres connection per WebSocket), and on the same
 * port Neon's SQL-over-HTTP endpoint, `POST /sql`, answered from warm pools (sql-over-http.ts).
 */
export async function startPgWsProxy(options: PgWsProxyOptions): Promise<PgWsProxy> {
  const log = options.log ?? (() => {});
  let address: HostPort | undefined;
  const sqlOverHttp = createSqlOverHttp({ allow: options.allow, wsProxy: () => formatHostPort(address!) });
  const server = http.createServer((request, response) => {
    if (new URL(request.url ?? "/", "http://pg-ws-proxy.invalid").pathname === "/sql") return sqlOverHttp.handle(request, response);
    response.writeHead(404).end();
  });
  server.keepAliveTimeout = 60_000;
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
    server.listen(options.port, options.host);
  });
  const bound = server.address() as net.AddressInfo;
  address = { host: options.host, port: bound.port };
  const upstreams = new Set<net.Socket>();
  let nextId = 1;

  wss.on("connection", (ws, request) => {
    const decision = decideTunnel({ url: request.url, origin: request.headers.origin }, options.allow);
    if (!decision.ok) {
      log({ event: "refused", code: decision.code, detail: decision.message });
      ws.close(wsCloseCodes[decision.code], decision.code);
      return;
    }
    const id = nextId++;
    const upstream = bridge(ws, decision.target, id, log);
    upstreams.add(upstream);
    upstream.once("close", () => upstreams.delete(upstream));
  });

  log({ event: "listening", listen: formatHostPort(address), allow: options.allow.map(formatHostPort) });
  return {
    address,
    close: async () => {
      // The pools' own tunnels go through this server, so they are ended first.
      await sqlOverHttp.close();
      await new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        for (const socket of upstreams) socket.destroy();
        wss.close(() => server.close(() => resolve()));
        server.closeAllConnections();
      });
    },
  };
}

/** Joins one accepted WebSocket to a new TCP connection; returns the TCP socket. */
function bridge(ws: WebSocket, target: HostPort, id: number, log: (event: ProxyEvent) => void): net.Socket {
  const name = formatHostPort(target);
  const upstream = net.connect({ host: target.host, port: target.port });
  upstream.setNoDelay(true);
  let frontend = initialFrontendState;
  let connected = false;
  let closedBy: "terminate" | "client" | "server" | undefined;
  let up = 0;
  let down = 0;

  const finish = (by: NonNullable<typeof closedBy>) => {
    if (closedBy) return;
    closedBy = by;
    log({ event: "tunnel_closed", id, target: name, by, up, down });
  };

  upstream.once("connect", () => {
    connected = true;
    log({ event: "tunnel_opened", id, target: name });
  });

  ws.on("message", (data, isBinary) => {
    if (closedBy) return;
    if (!isBinary) {
      ws.close(wsCloseCodes.binary_only, "binary_only");
      return;
    }
    const bytes = toBuffer(data);
    up += bytes.length;
    frontend = scanFrontendBytes(frontend, bytes);
    if (frontend.phase === "terminated") {
      // The client said goodbye: deliver it, then close both sides rather than wait for the server to.
      finish("terminate");
      upstream.end(bytes);
      ws.close(wsNormalClosure);
      return;
    }
    // Writes made while connecting are buffered by net.Socket, so nothing waits for "connect".
    if (!upstream.write(bytes)) ws.pause();
  });
  upstream.on("drain", () => ws.resume());

  upstream.on("data", (chunk: Buffer) => {
    down += chunk.length;
    ws.send(chunk, { binary: true }, () => {
      if (upstream.isPaused() && ws.bufferedAmount < highWaterMark / 2) upstream.resume();
    });
    if (ws.bufferedAmount > highWaterMark) upstream.pause();
  });

  upstream.on("error", (error) => log({ event: "tcp_error", id, target: name, message: error.message }));
  upstream.once("close", () => {
    finish("server");
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) {
      if (connected) ws.close(wsNormalClosure);
      else ws.close(wsCloseCodes.target_unreachable, "target_unreachable");
    }
  });

  ws.on("error", () => {}); // "close" follows and does the cleanup
  ws.once("close", () => {
    finish("client");
    // end() lets queued bytes (the Terminate) reach the server; the timer covers a server that never reads.
    upstream.end();
    setTimeout(() => upstream.destroy(), upstreamLingerMs).unref();
  });
  return upstream;
}

function toBuffer(data: RawData): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  return data instanceof ArrayBuffer ? Buffer.from(data) : data;
}
