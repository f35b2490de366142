import http from "node:http";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { host, ports } from "../lib/local-config.ts";
import { bridgeToken, bridgeUrl, deleteTestKeys, localRedis, uniquePrefix } from "./local-bridge-client.ts";

// The bridge's HTTP surface seen with raw requests: what a broken or hostile client could send.
let token: string;
beforeAll(async () => {
  token = await bridgeToken();
});
afterAll(async () => deleteTestKeys(await localRedis()));

async function post(path: string, body: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${bridgeUrl}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, ...headers },
    body,
  });
  return { status: response.status, body: (await response.json()) as unknown };
}

async function get(path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${bridgeUrl}${path}`, { headers: { authorization: `Bearer ${token}`, ...headers } });
  return { status: response.status, body: (await response.json()) as unknown };
}

describe("authentication", () => {
  it.each([
    ["missing", {}],
    ["wrong", { authorization: "Bearer wrong-token" }],
    ["not a bearer", { authorization: "Basic dXNlcjpwYXNz" }],
    ["right token with a suffix", undefined],
  ])("a %s token gets 401 Unauthorized and runs nothing", async (_label, headers) => {
    const k = `${uniquePrefix("auth")}k`;
    const response = await fetch(bridgeUrl, {
      method: "POST",
      headers: headers ?? { authorization: `Bearer ${token}x` },
      body: JSON.stringify(["SET", k, "v"]),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: "Unauthorized" });
    expect((await post("/", JSON.stringify(["EXISTS", k]))).body).toEqual({ result: 0 });
  });
});

describe("bad bodies", () => {
  it.each([
    ["malformed JSON", "/", '["SET", "k"'],
    ["an object instead of a command", "/", '{"command":"GET"}'],
    ["an empty command", "/", "[]"],
    ["a nested array argument", "/", '["SET", "k", ["v"]]'],
    ["a null argument", "/", '["SET", "k", null]'],
    ["a non-string command name", "/", "[42]"],
    ["a pipeline that is not an array", "/pipeline", '"GET k"'],
    ["an empty pipeline", "/pipeline", "[]"],
    ["a pipeline with a malformed entry", "/pipeline", '[["PING"], "PING"]'],
    ["a transaction with a malformed entry", "/multi-exec", '[["PING"], {}]'],
  ])("%s is rejected with 400 and an error message", async (_label, path, body) => {
    const response = await post(path, body);
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: expect.stringMatching(/^ERR /) });
  });

  it("a pipeline with one malformed entry runs none of its commands", async () => {
    const k = `${uniquePrefix("pipeline-invalid")}k`;
    const response = await post("/pipeline", JSON.stringify([["SET", k, "v"], [{ not: "a string" }]]));
    expect(response.status).toBe(400);
    expect((await post("/", JSON.stringify(["EXISTS", k]))).body).toEqual({ result: 0 });
  });

  it("a body over 1 MiB is refused with 413 up front when its length is declared", async () => {
    const k = `${uniquePrefix("large")}k`;
    const response = await post("/", JSON.stringify(["SET", k, "x".repeat(1024 * 1024)]));
    expect(response.status).toBe(413);
    expect(response.body).toEqual({ error: expect.stringMatching(/larger than 1048576 bytes/) });
    expect((await post("/", JSON.stringify(["EXISTS", k]))).body).toEqual({ result: 0 });
  });

  it("a streamed body over 1 MiB without a length is cut off with 413", async () => {
    const response = await streamedPost("/", 6, 256 * 1024);
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body)).toEqual({ error: expect.stringMatching(/larger than/) });
  });

  it("an endless upload is cut off without hurting the bridge", async () => {
    const response = await streamedPost("/", 64, 256 * 1024);
    expect([0, 413]).toContain(response.status);
    expect((await post("/", '["PING"]')).body).toEqual({ result: "PONG" });
  });

  it("a body just under the limit is accepted", async () => {
    const k = `${uniquePrefix("limit")}k`;
    const value = "y".repeat(1024 * 1024 - 100);
    expect((await post("/", JSON.stringify(["SET", k, value]))).status).toBe(200);
    expect((await post("/", JSON.stringify(["STRLEN", k]))).body).toEqual({ result: value.length });
    await post("/", JSON.stringify(["DEL", k]));
  });

  it("bytes that are not HTTP get a 400, and the bridge keeps serving", async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = net.connect({ host, port: ports.upstashBridge }, () => socket.write("\u0000\u0001garbage\r\n\r\n"));
      let data = "";
      socket.on("data", (chunk) => (data += chunk.toString("latin1")));
      socket.on("end", () => resolve(data));
      socket.on("error", reject);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
    expect((await post("/", '["PING"]')).body).toEqual({ result: "PONG" });
  });

  it("methods other than GET and POST get 405", async () => {
    const response = await fetch(bridgeUrl, { method: "PUT", headers: { authorization: `Bearer ${token}` }, body: "[]" });
    expect(response.status).toBe(405);
  });
});

describe("response encoding", () => {
  it("with Upstash-Encoding: base64, strings are base64 and a top-level OK is literal", async () => {
    const k = `${uniquePrefix("encoding")}k`;
    const base64 = { "upstash-encoding": "base64" };
    expect((await post("/", JSON.stringify(["SET", k, "héllo"]), base64)).body).toEqual({ result: "OK" });
    expect((await post("/", JSON.stringify(["GET", k]), base64)).body).toEqual({
      result: Buffer.from("héllo").toString("base64"),
    });
    expect((await post("/", JSON.stringify(["EVAL", "return {1, 'OK', {'x'}}", 0]), base64)).body).toEqual({
      result: [1, Buffer.from("OK").toString("base64"), [Buffer.from("x").toString("base64")]],
    });
  });

  it("without the header, strings come back as they are; numbers and nulls never change", async () => {
    const k = `${uniquePrefix("plain")}k`;
    await post("/", JSON.stringify(["RPUSH", k, "a", "ü", 3]));
    expect((await post("/", JSON.stringify(["LRANGE", k, 0, -1]))).body).toEqual({ result: ["a", "ü", "3"] });
    expect((await post("/", JSON.stringify(["LLEN", k]))).body).toEqual({ result: 3 });
    expect((await post("/", JSON.stringify(["GET", `${k}:missing`]))).body).toEqual({ result: null });
  });

  it("a failed single command is a 400 with Redis's message", async () => {
    expect(await post("/", '["NO-SUCH-COMMAND"]')).toEqual({
      status: 400,
      body: { error: expect.stringMatching(/^ERR unknown command/) },
    });
  });
});

describe("path commands", () => {
  it("GET /set/key/value and GET /get/key work with URL-encoded segments", async () => {
    const k = `${uniquePrefix("path")}k/with slash`;
    const path = (...parts: string[]) => `/${parts.map(encodeURIComponent).join("/")}`;
    expect(await get(path("set", k, "ünïcode value", "EX", "60"))).toEqual({ status: 200, body: { result: "OK" } });
    expect(await get(path("get", k))).toEqual({ status: 200, body: { result: "ünïcode value" } });
    expect((await get(path("ttl", k))).body).toEqual({ result: expect.any(Number) });
  });

  it("POST /set/key takes the value from the raw body", async () => {
    const k = `${uniquePrefix("path-body")}k`;
    const response = await fetch(`${bridgeUrl}/set/${encodeURIComponent(k)}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
      body: '{"raw": "json text"}',
    });
    expect(await response.json()).toEqual({ result: "OK" });
    expect((await get(`/get/${encodeURIComponent(k)}`)).body).toEqual({ result: '{"raw": "json text"}' });
  });

  it("a malformed URL escape is a 400, not a crash", async () => {
    expect(await get("/get/%E0%A4%A")).toEqual({ status: 400, body: { error: expect.stringMatching(/^ERR /) } });
  });
});

/** A POST whose body is streamed in chunks with no Content-Length, as a client could do to dodge the up-front check. */
function streamedPost(path: string, chunks: number, chunkBytes: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${bridgeUrl}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "transfer-encoding": "chunked" },
    });
    request.on("response", (response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    });
    // Past its drain limit the bridge closes the connection mid-upload: the client sees that, not a response.
    request.on("error", (error: NodeJS.ErrnoException) =>
      error.code === "EPIPE" || error.code === "ECONNRESET" ? resolve({ status: 0, body: error.code }) : reject(error),
    );
    request.write('["SET", "k", "');
    const chunk = "z".repeat(chunkBytes);
    let sent = 0;
    const writeMore = () => {
      while (sent < chunks) {
        sent++;
        if (!request.write(chunk)) return void request.once("drain", writeMore);
      }
      request.end('"]');
    };
    writeMore();
  });
}
