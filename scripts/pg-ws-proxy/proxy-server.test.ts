import net from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { host, ports } from "../lib/local-config.ts";
import { type PgWsProxy, startPgWsProxy } from "./proxy-server.ts";

// The proxy against raw WebSockets and a stand-in TCP server that, like PGlite, never closes on its own:
// what each side sees when the other one leaves, and what gets refused.
let upstream: net.Server;
let upstreamPort: number;
let accepted: net.Socket[] = [];
let proxy: PgWsProxy;

beforeAll(async () => {
  upstream = net.createServer((socket) => {
    accepted.push(socket);
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  upstreamPort = (upstream.address() as net.AddressInfo).port;
  proxy = await startPgWsProxy({ host: "127.0.0.1", port: 0, allow: [{ host: "127.0.0.1", port: upstreamPort }] });
});

afterEach(() => {
  for (const socket of accepted) socket.destroy();
  accepted = [];
});

afterAll(async () => {
  await proxy.close();
  await new Promise((resolve) => upstream.close(resolve));
});

const int32 = (n: number) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const startupMessage = Buffer.from([...int32(8 + 9), ...int32(196608), ...Buffer.from("user\0me\0\0")]);
const terminateMessage = Buffer.from([0x58, ...int32(4)]);

function open(query: string, options: WebSocket.ClientOptions = {}, proxyPort = proxy.address.port) {
  const ws = new WebSocket(`ws://127.0.0.1:${proxyPort}/v2${query}`, options);
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  ws.on("error", () => {});
  const opened = new Promise<void>((resolve) => ws.once("open", () => resolve()));
  return { ws, closed, opened };
}

const address = () => `?address=127.0.0.1:${upstreamPort}`;

async function acceptedSocket(): Promise<net.Socket> {
  await expect.poll(() => accepted.length).toBe(1);
  return accepted[0] as net.Socket;
}

const ended = (socket: net.Socket) => new Promise<void>((resolve) => socket.once("end", () => resolve()));

describe("pg-ws-proxy tunnels", () => {
  it("carries bytes both ways, unchanged", async () => {
    const { ws, opened } = open(address());
    await opened;
    const socket = await acceptedSocket();
    const received = new Promise<Buffer>((resolve) => socket.once("data", resolve));
    ws.send(startupMessage);
    expect(await received).toEqual(startupMessage);
    const reply = new Promise<Buffer>((resolve) => ws.once("message", (data) => resolve(data as Buffer)));
    socket.write(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 0]));
    expect(await reply).toEqual(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 0]));
    ws.close();
  });

  it("on Terminate, delivers it and closes both sides although the server stays silent", async () => {
    const { ws, opened, closed } = open(address());
    await opened;
    const socket = await acceptedSocket();
    const chunks: Buffer[] = [];
    socket.on("data", (chunk) => chunks.push(chunk));
    const serverSawEnd = ended(socket);
    ws.send(startupMessage);
    ws.send(terminateMessage);
    expect(await closed).toEqual({ code: 1000, reason: "" });
    await serverSawEnd;
    expect(Buffer.concat(chunks)).toEqual(Buffer.concat([startupMessage, terminateMessage]));
  });

  it("closes the TCP side when the WebSocket closes", async () => {
    const { ws, opened } = open(address());
    await opened;
    const socket = await acceptedSocket();
    const serverSawEnd = ended(socket);
    ws.close();
    await serverSawEnd;
  });

  it("closes the WebSocket when the server closes", async () => {
    const { opened, closed } = open(address());
    await opened;
    (await acceptedSocket()).end();
    expect((await closed).code).toBe(1000);
  });

  it("closes with 1014 target_unreachable when nothing listens at an allowed target", async () => {
    const dead = await startPgWsProxy({ host: "127.0.0.1", port: 0, allow: [{ host: "127.0.0.1", port: 1 }] });
    try {
      const { closed } = open("?address=127.0.0.1:1", {}, dead.address.port);
      expect(await closed).toEqual({ code: 1014, reason: "target_unreachable" });
    } finally {
      await dead.close();
    }
  });

  it("refuses text frames: the wire protocol is binary", async () => {
    const { ws, opened, closed } = open(address());
    await opened;
    ws.send("Q select 1");
    expect(await closed).toEqual({ code: 1003, reason: "binary_only" });
  });
});

describe("pg-ws-proxy refusals (no TCP connection is made)", () => {
  it.each([
    ["a target outside the allowlist", () => "?address=127.0.0.1:5432", "target_not_allowed"],
    ["another spelling of the allowed host", () => `?address=localhost:${upstreamPort}`, "target_not_allowed"],
    ["a malformed address", () => "?address=127.0.0.1", "malformed_address"],
    ["a missing address", () => "", "missing_address"],
  ])("refuses %s with 1008", async (_, query, reason) => {
    const { closed } = open(query());
    expect(await closed).toEqual({ code: 1008, reason });
    expect(accepted).toHaveLength(0);
  });

  it("refuses a browser page (a request with an Origin), even to an allowed target", async () => {
    const { closed } = open(address(), { origin: "https://evil.example" });
    expect(await closed).toEqual({ code: 1008, reason: "origin_not_allowed" });
    expect(accepted).toHaveLength(0);
  });

  it("the running daemon refuses the system Postgres port", async () => {
    const { closed } = open(`?address=${host}:5432`, {}, ports.pgWsProxy);
    expect(await closed).toEqual({ code: 1008, reason: "target_not_allowed" });
  });
});
