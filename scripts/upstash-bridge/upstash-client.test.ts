import crypto from "node:crypto";
import { Redis } from "@upstash/redis";
import { Redis as IORedis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { host, ports } from "../lib/local-config.ts";
import { bridgeToken, bridgeUrl, deleteTestKeys, localRedis, uniquePrefix } from "./local-bridge-client.ts";

// The real @upstash/redis client against the real bridge and Redis: what the Worker will do in local runs.
let redis: Redis;
beforeAll(async () => {
  redis = await localRedis();
});
afterAll(() => deleteTestKeys(redis));

describe("strings", () => {
  it("roundtrips unicode, binary-looking text and the literal OK", async () => {
    const k = uniquePrefix("strings");
    const values = ["héllo wörld", "日本語テキスト", "emoji 🎉👩‍👩‍👧", "OK", "", "T0s=", "line\nbreak\ttab\u0000nul"];
    for (const [i, value] of values.entries()) await redis.set(`${k}${i}`, value);
    const got = await redis.mget<string[]>(...values.map((_, i) => `${k}${i}`));
    expect(got).toEqual(values);
  });

  it("roundtrips JSON values the client serializes itself", async () => {
    const k = uniquePrefix("json");
    const value = { name: "Zoë", tags: ["a", "ß"], nested: { n: 1.5, ok: true, none: null } };
    await redis.set(`${k}obj`, value);
    expect(await redis.get(`${k}obj`)).toEqual(value);
    await redis.set(`${k}num`, 42);
    expect(await redis.get(`${k}num`)).toBe(42);
    expect(await redis.get(`${k}missing`)).toBeNull();
  });

  it("counts with incr and expires keys with a ttl", async () => {
    const k = uniquePrefix("incr");
    expect(await redis.incr(`${k}n`)).toBe(1);
    expect(await redis.incrby(`${k}n`, 41)).toBe(42);
    expect(await redis.incrbyfloat(`${k}n`, 0.5)).toBe(42.5);
    expect(await redis.ttl(`${k}n`)).toBe(-1);
    expect(await redis.expire(`${k}n`, 100)).toBe(1);
    const ttl = await redis.ttl(`${k}n`);
    expect(ttl).toBeGreaterThan(90);
    expect(ttl).toBeLessThanOrEqual(100);
    await redis.set(`${k}short`, "v", { px: 50 });
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await redis.get(`${k}short`)).toBeNull();
    expect(await redis.ttl(`${k}missing`)).toBe(-2);
  });
});

describe("data structures", () => {
  it("hashes come back as objects, field by field and whole", async () => {
    const k = `${uniquePrefix("hash")}h`;
    expect(await redis.hset(k, { name: "Ana", city: "Zürich", visits: 3 })).toBe(3);
    expect(await redis.hget(k, "city")).toBe("Zürich");
    expect(await redis.hincrby(k, "visits", 2)).toBe(5);
    expect(await redis.hgetall(k)).toEqual({ name: "Ana", city: "Zürich", visits: 5 });
    expect(await redis.hgetall(`${k}:missing`)).toBeNull();
    expect(await redis.hdel(k, "name")).toBe(1);
    expect((await redis.hkeys(k)).sort()).toEqual(["city", "visits"]);
  });

  it("lists keep order from both ends", async () => {
    const k = `${uniquePrefix("list")}l`;
    await redis.rpush(k, "b", "c");
    await redis.lpush(k, "a");
    expect(await redis.lrange(k, 0, -1)).toEqual(["a", "b", "c"]);
    expect(await redis.llen(k)).toBe(3);
    expect(await redis.lpop(k)).toBe("a");
    expect(await redis.rpop(k)).toBe("c");
    expect(await redis.lrange(k, 0, -1)).toEqual(["b"]);
  });

  it("sorted sets rank members and return scores", async () => {
    const k = `${uniquePrefix("zset")}z`;
    await redis.zadd(k, { score: 3, member: "carol" }, { score: 1, member: "ann" }, { score: 2.5, member: "bob" });
    expect(await redis.zrange(k, 0, -1)).toEqual(["ann", "bob", "carol"]);
    expect(await redis.zrange(k, 0, -1, { withScores: true })).toEqual(["ann", 1, "bob", 2.5, "carol", 3]);
    expect(await redis.zscore(k, "bob")).toBe(2.5);
    expect(await redis.zrank(k, "carol")).toBe(2);
    expect(await redis.zincrby(k, 10, "ann")).toBe(11);
    expect(await redis.zrange(k, 0, 0, { rev: true })).toEqual(["ann"]);
  });
});

describe("pipelines and transactions", () => {
  it("a pipeline keeps order and reports a failing command in the middle in place", async () => {
    const k = uniquePrefix("pipeline");
    const results = await redis
      .pipeline()
      .set(`${k}text`, "not a number")
      .incr(`${k}text`)
      .set(`${k}n`, 10)
      .incr(`${k}n`)
      .get(`${k}n`)
      .exec({ keepErrors: true });
    expect(results.map((r) => r.error)).toEqual([
      undefined,
      "ERR value is not an integer or out of range",
      undefined,
      undefined,
      undefined,
    ]);
    expect(results.map((r) => r.result)).toEqual(["OK", undefined, "OK", 11, 11]);
  });

  it("a pipeline without keepErrors rejects, naming the failed command", async () => {
    const k = uniquePrefix("pipeline-throws");
    await redis.set(`${k}text`, "x");
    await expect(redis.pipeline().get(`${k}text`).incr(`${k}text`).exec()).rejects.toThrow(/Command 2 \[ incr \] failed/);
  });

  it("multi-exec runs all commands together", async () => {
    const k = uniquePrefix("multi");
    const results = await redis.multi().set(`${k}a`, 1).incr(`${k}a`).lpush(`${k}l`, "x", "y").exec();
    expect(results).toEqual(["OK", 2, 2]);
  });

  it("multi-exec is atomic: a client writing straight to Redis meanwhile never lands inside it", async () => {
    const k = `${uniquePrefix("atomic")}log`;
    // The bridge serializes its own requests on one connection, so the competitor must be a separate Redis
    // connection. The transaction is large enough (~370 kB) that Redis reads it in many chunks: sent as a plain
    // pipeline, the competitor's pushes do land in between (checked while writing this test).
    const direct = new IORedis({ host, port: ports.redis, protocol: 2 });
    let stop = false;
    let intrusions = 0;
    const competitor = (async () => {
      while (!stop) {
        await direct.rpush(k, "intruder");
        intrusions++;
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const tx = redis.multi();
    for (let i = 0; i < 5000; i++) tx.rpush(k, `tx-${i}`);
    const results = await tx.exec();
    stop = true;
    await competitor;
    const log = await direct.lrange(k, 0, -1);
    direct.disconnect();
    expect(results).toHaveLength(5000);
    expect(intrusions).toBeGreaterThan(0);
    const first = log.indexOf("tx-0");
    expect(log.slice(first, first + 5000)).toEqual(Array.from({ length: 5000 }, (_, i) => `tx-${i}`));
  });

  it("multi-exec with a command Redis rejects while queueing runs nothing", async () => {
    const k = uniquePrefix("execabort");
    // The typed client can't build an unknown command, so this one goes over raw HTTP.
    const response = await fetch(`${bridgeUrl}/multi-exec`, {
      method: "POST",
      headers: { authorization: `Bearer ${await bridgeToken()}` },
      body: JSON.stringify([["SET", `${k}a`, "1"], ["NO-SUCH-COMMAND"], ["SET", `${k}b`, "2"]]),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(/^EXECABORT/);
    expect(await redis.exists(`${k}a`, `${k}b`)).toBe(0);
  });
});

describe("errors", () => {
  it("a bad command gives the client an error, and the bridge keeps serving", async () => {
    await expect(redis.exec(["NO-SUCH-COMMAND", "x"])).rejects.toThrow(/unknown command/);
    const k = uniquePrefix("wrongtype");
    await redis.set(`${k}s`, "string");
    await expect(redis.lpush(`${k}s`, "x")).rejects.toThrow(/WRONGTYPE/);
    expect(await redis.ping()).toBe("PONG");
  });

  it("a command that would block the shared connection is refused", async () => {
    await expect(redis.exec(["BLPOP", `${uniquePrefix("blpop")}l`, "0"])).rejects.toThrow(/not available/);
    await expect(redis.exec(["SELECT", "1"])).rejects.toThrow(/not available/);
  });

  it("a wrong token is refused with 401", async () => {
    const intruder = new Redis({ url: bridgeUrl, token: "not-the-token", enableTelemetry: false, retry: false });
    await expect(intruder.get("anything")).rejects.toThrow(/Unauthorized/);
  });
});

describe("scripts", () => {
  const flagged = "#!lua flags=allow-key-locking\nreturn {KEYS[1], ARGV[1], 7}";

  it("SCRIPT LOAD of an Upstash-flagged script answers with the client's own SHA1, which EVALSHA accepts", async () => {
    const sha = crypto.createHash("sha1").update(flagged).digest("hex");
    expect(await redis.scriptLoad(flagged)).toBe(sha);
    expect(await redis.evalsha(sha, ["key"], ["arg"])).toEqual(["key", "arg", 7]);
  });

  it("EVAL of a flagged script runs, and then its hash is known", async () => {
    const script = `${flagged}\n-- ${crypto.randomUUID()}`;
    const sha = crypto.createHash("sha1").update(script).digest("hex");
    await expect(redis.evalsha(sha, ["k"], ["a"])).rejects.toThrow(/NOSCRIPT/);
    expect(await redis.eval(script, ["k"], ["a"])).toEqual(["k", "a", 7]);
    expect(await redis.evalsha(sha, ["k"], ["b"])).toEqual(["k", "b", 7]);
  });
});
