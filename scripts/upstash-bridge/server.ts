import http from "node:http";
import { bearerTokenMatches } from "./bearer-auth.ts";
import type { CommandExecutor, Outcome } from "./command-executor.ts";
import { BridgeHttpError, RedisUnavailable, badRequest, bodyTooLarge, methodNotAllowed, unauthorized } from "./errors.ts";
import type { BridgeLogger } from "./log-events.ts";
import { commandFromPath } from "./path-command.ts";
import type { RedisCommand } from "./redis-command.ts";
import { parseCommand, parseCommandList, parseJson, type Parsed } from "./request-validation.ts";
import { encodeReply, responseEncoding, type EncodedReply, type ResponseEncoding } from "./response-encoding.ts";

export interface BridgeServerOptions {
  token: string;
  maxBodyBytes: number;
  executor: CommandExecutor;
  log: BridgeLogger;
}

type Route = "command" | "pipeline" | "multi-exec" | "path-command";
type JsonBody = { result: EncodedReply } | { error: string } | ({ result: EncodedReply } | { error: string })[];

/**
 * The Upstash REST protocol over a CommandExecutor. Every request ends in exactly one JSON response; whatever a
 * handler throws is turned into a status here, in one place.
 */
export function createBridgeServer(options: BridgeServerOptions): http.Server {
  const server = http.createServer((request, response) => {
    const route = routeOf(request.url);
    handle(request, route, options).then(
      ({ status, body }) => send(response, status, body),
      (error: unknown) => {
        const { status, message } = failure(error);
        if (status >= 500) options.log({ event: "request_failed", route, status, message: describe(error) });
        // The rest of a refused upload may still be on its way: don't let it be parsed as the next request.
        send(response, status, { error: message }, status === 413);
      },
    );
  });
  // Garbage on the socket (not HTTP at all) gets a 400 and a closed connection instead of an exception.
  server.on("clientError", (_error, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    else socket.destroy();
  });
  return server;
}

async function handle(
  request: http.IncomingMessage,
  route: Route,
  { token, maxBodyBytes, executor }: BridgeServerOptions,
): Promise<{ status: number; body: JsonBody }> {
  if (request.method !== "POST" && request.method !== "GET") throw methodNotAllowed();
  if (!bearerTokenMatches(request.headers.authorization, token)) throw unauthorized();
  const encoding = responseEncoding(request.headers["upstash-encoding"]);
  const text = request.method === "POST" ? await readBody(request, maxBodyBytes) : "";

  switch (route) {
    case "command":
      return single(executor, encoding, parsedJson(text, parseCommand));
    case "path-command":
      return single(executor, encoding, commandFromPath(pathOf(request.url), text));
    case "pipeline": {
      const outcomes = await executor.pipeline(parsedValue(parsedJson(text, parseCommandList)));
      return { status: 200, body: outcomes.map((outcome) => entry(outcome, encoding)) };
    }
    case "multi-exec": {
      const transaction = await executor.transaction(parsedValue(parsedJson(text, parseCommandList)));
      if (!transaction.ok) throw badRequest(transaction.error);
      return { status: 200, body: transaction.outcomes.map((outcome) => entry(outcome, encoding)) };
    }
    default:
      return route satisfies never;
  }
}

async function single(executor: CommandExecutor, encoding: ResponseEncoding, command: Parsed<RedisCommand>) {
  const outcome = await executor.run(parsedValue(command));
  // Upstash answers a failed single command with 400, and the client reads the message from the body.
  return { status: outcome.ok ? 200 : 400, body: entry(outcome, encoding) };
}

function entry(outcome: Outcome, encoding: ResponseEncoding): { result: EncodedReply } | { error: string } {
  return outcome.ok ? { result: encodeReply(outcome.reply, encoding) } : { error: outcome.error };
}

function parsedJson<T>(text: string, parse: (value: unknown) => Parsed<T>): Parsed<T> {
  const json = parseJson(text);
  return json.ok ? parse(json.value) : json;
}

function parsedValue<T>(parsed: Parsed<T>): T {
  if (!parsed.ok) throw badRequest(parsed.error);
  return parsed.value;
}

function routeOf(url: string | undefined): Route {
  const path = pathOf(url).replace(/\/+$/, "");
  if (path === "") return "command";
  if (path === "/pipeline") return "pipeline";
  if (path === "/multi-exec") return "multi-exec";
  return "path-command";
}

function pathOf(url: string | undefined): string {
  const raw = url ?? "/";
  const query = raw.indexOf("?");
  return query === -1 ? raw : raw.slice(0, query);
}

/**
 * Reads the body up to `limit` bytes. A client whose response arrives while it is still uploading sees a broken
 * pipe instead of our 413, so a moderately oversized body is read to its end and dropped before answering; only
 * beyond a few times the limit does the bridge stop reading and close the connection on the client.
 */
function readBody(request: http.IncomingMessage, limit: number): Promise<string> {
  const drainLimit = limit * 4;
  const declared = Number(request.headers["content-length"]);
  if (Number.isFinite(declared) && declared > drainLimit) return Promise.reject(bodyTooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else if (size > drainLimit) {
        request.off("data", onData);
        reject(bodyTooLarge(limit));
      }
    };
    request.on("data", onData);
    request.once("end", () => (size > limit ? reject(bodyTooLarge(limit)) : resolve(Buffer.concat(chunks).toString("utf8"))));
    request.once("error", reject);
    // A client that hangs up mid-upload never sends "end"; settle instead of leaking the promise.
    request.once("close", () => reject(badRequest("ERR request aborted")));
  });
}

function failure(error: unknown): { status: number; message: string } {
  if (error instanceof BridgeHttpError) return { status: error.status, message: error.message };
  if (error instanceof RedisUnavailable) return { status: 503, message: "ERR redis is unavailable" };
  return { status: 500, message: "ERR internal bridge error" };
}

function describe(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return error instanceof Error ? `${error.name} ${error.message}${cause}` : String(error);
}

function send(response: http.ServerResponse, status: number, body: JsonBody, closeConnection = false) {
  if (response.headersSent || response.destroyed) return;
  const payload = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(payload),
    ...(closeConnection ? { connection: "close" } : {}),
  });
  response.end(payload);
}
