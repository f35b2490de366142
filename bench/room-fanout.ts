import WebSocket from "ws";
import { databaseUrl, host, loadOrCreateSecrets, ports, workerVars } from "../scripts/lib/local-config.ts";
import { provisionTenant } from "../scripts/lib/dev-tenant.ts";
import { workerUrl } from "../scripts/services/worker.ts";
import { runBounded, summarize, type LatencySummary } from "./latency-stats.ts";
import { SocketIoRoomClient, startSocketIoBaseline } from "./socketio-baseline.ts";

/**
 * Chat fan-out in one meeting: N WebSocket clients each send chat at a fixed rate, every client receives every
 * message. Ours is the MeetingRoom DO under local workerd; the baseline is a Socket.IO server with the Redis
 * adapter on the real Redis (socketio-baseline-server.ts), a child process so each system has its own process.
 * The load generator (this process: every client, every JSON parse) shares the same 2 cores with the system
 * under test, so both sets of figures include that contention; the ratio is the fair part, not the absolutes.
 */

export interface FanoutOptions {
  clients: number;
  /** Per client; the room allows 5 burst / 2 per s, so 1/s never trips the limiter. */
  messagesPerSecond: number;
  warmupSeconds: number;
  measureSeconds: number;
  /** How long to wait after the last send for deliveries still in flight. */
  drainMs: number;
  joinConcurrency: number;
}

export const defaultFanoutOptions: FanoutOptions = {
  clients: 200,
  messagesPerSecond: 1,
  warmupSeconds: 2,
  measureSeconds: 10,
  drainMs: 5_000,
  joinConcurrency: 8,
};

/** What the workload needs from a participant, whichever system it is connected to. */
interface FanoutClient {
  readonly refusals: number;
  sendChat(clientMessageId: string, body: string): void;
  /** Resolves once the socket is closed (bounded: a close handshake that hangs is cut). */
  close(): Promise<void> | void;
}
type JoinClient = (index: number, onChat: (body: string) => void) => Promise<FanoutClient>;

interface FanoutResult {
  joins: LatencySummary;
  delivery: LatencySummary;
  expected: number;
  refusals: number;
}

type BenchFrame = { type: string; message?: { body: string }; frames?: BenchFrame[] };

/** A DO participant over plain `ws` (no per-frame zod parse, so the client costs the same as socket.io-client's). */
class DoRoomClient implements FanoutClient {
  refusals = 0;

  private constructor(readonly socket: WebSocket) {}

  /** Opens, sends hello and resolves on `welcome` (the first roster frame). */
  static join(connectUrl: string, onChat: (body: string) => void, timeoutMs = 15_000): Promise<DoRoomClient> {
    const socket = new WebSocket(connectUrl, { perMessageDeflate: false });
    const client = new DoRoomClient(socket);
    return new Promise<DoRoomClient>((resolve, reject) => {
      const fail = (error: Error) => {
        clearTimeout(timer);
        socket.terminate();
        reject(error);
      };
      const timer = setTimeout(() => fail(new Error("no welcome in time")), timeoutMs);
      socket.once("open", () => socket.send(JSON.stringify({ id: "hello", type: "hello", protocolVersion: 1 })));
      socket.once("error", fail);
      socket.once("close", (code) => fail(new Error(`closed with ${code} before welcome`)));
      socket.on("message", (data) => {
        const message = JSON.parse(String(data)) as BenchFrame;
        // A busy room sends the frames queued for a socket as one `batch` message.
        for (const frame of message.type === "batch" ? message.frames! : [message]) {
          if (frame.type === "chat_message") onChat(frame.message!.body);
          else if (frame.type === "error") client.refusals++;
          else if (frame.type === "welcome") welcomed();
          else if (frame.type === "waiting_room") fail(new Error("bench meeting put the client in the waiting room"));
        }
      });
      const welcomed = () => {
        clearTimeout(timer);
        socket.removeAllListeners("close").removeAllListeners("error");
        socket.on("error", () => {});
        resolve(client);
      };
    });
  }

  sendChat(clientMessageId: string, body: string): void {
    this.socket.send(JSON.stringify({ id: clientMessageId.slice(0, 64), type: "chat_send", clientMessageId, body, attachments: [] }));
  }

  close(timeoutMs = 2000): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.socket.terminate();
        resolve();
      }, timeoutMs);
      this.socket.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
      this.socket.close(1000);
    });
  }
}

/** Stands in for a client whose join failed, so cleanup can treat every slot alike. */
class FailedJoin implements FanoutClient {
  readonly refusals = 0;
  sendChat(): void {}
  close(): void {}
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** The Worker's default `JOIN_TOKEN_ISSUER` (workers/env.ts); local .dev.vars leaves it unset. */
const defaultJoinTokenIssuer = "edge-meetings";
const endTimeoutMs = 3000;

/**
 * Joins every client, then each sends `warm` then `measure` messages spread evenly over the second (client i
 * offset by i/N of a period), each body "<phase> <send time> <client>". Only measured messages are counted.
 */
async function runFanout(join: JoinClient, options: FanoutOptions, beforeClose?: () => Promise<void>): Promise<FanoutResult> {
  const { clients: n, messagesPerSecond, warmupSeconds, measureSeconds, drainMs, joinConcurrency } = options;
  const latencies: number[] = [];
  let lastReceivedAt = 0;
  const onChat = (body: string) => {
    if (!body.startsWith("m ")) return;
    const now = performance.now();
    latencies.push(now - Number(body.split(" ", 2)[1]));
    lastReceivedAt = now;
  };

  const clients: FanoutClient[] = [];
  const timers = new Set<NodeJS.Timeout>();
  try {
    // A failed join is rethrown only once every join has settled, so no socket opens after the cleanup below.
    let joinFailure: unknown;
    const joined = await runBounded(n, joinConcurrency, async (i) => {
      clients[i] = await join(i, onChat).catch((error: unknown) => {
        joinFailure ??= error;
        return new FailedJoin();
      });
    });
    if (joinFailure) throw joinFailure;

    const periodMs = 1000 / messagesPerSecond;
    const warm = Math.round(warmupSeconds * messagesPerSecond);
    const total = warm + Math.round(measureSeconds * messagesPerSecond);
    const startAt = performance.now() + 100;
    const measureFrom = startAt + warm * periodMs;
    let sendsLeft = n * total;
    await new Promise<void>((allSent) => {
      clients.forEach((client, i) => {
        const schedule = (k: number) => {
          const timer = setTimeout(
            () => {
              timers.delete(timer);
              const phase = k < warm ? "w" : "m";
              client.sendChat(`bench-${i}-${k}`, `${phase} ${performance.now().toFixed(3)} ${i}`);
              if (k + 1 < total) schedule(k + 1);
              if (--sendsLeft === 0) allSent();
            },
            Math.max(0, startAt + (i / n) * periodMs + k * periodMs - performance.now()),
          );
          timers.add(timer);
        };
        schedule(0);
      });
    });

    const expected = n * (total - warm) * n;
    const drainUntil = performance.now() + drainMs;
    while (latencies.length < expected && performance.now() < drainUntil) await sleep(20);
    const wallMs = Math.max(1, (lastReceivedAt || performance.now()) - measureFrom);
    return {
      joins: summarize(joined.samples, joined.wallMs),
      delivery: summarize(latencies, wallMs),
      expected,
      refusals: clients.reduce((sum, c) => sum + c.refusals, 0),
    };
  } finally {
    for (const timer of timers) clearTimeout(timer);
    await beforeClose?.().catch(() => undefined);
    await Promise.all(clients.map((client) => client?.close()));
  }
}

async function postJson<T>(path: string, apiKey: string, body: unknown, signal?: AbortSignal): Promise<T> {
  const response = await fetch(`${workerUrl}${path}`, {
    method: "POST",
    ...(signal ? { signal } : {}),
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`POST ${path} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

const ms = (value: number) => `${value.toFixed(1).padStart(7)} ms`;
const row = (name: string, r: FanoutResult) =>
  `${name.padEnd(38)} ${r.delivery.perSecond.toFixed(0).padStart(7)}/s ${((r.delivery.count / r.expected) * 100).toFixed(1).padStart(6)}%` +
  `  p50 ${ms(r.delivery.p50)}  p99 ${ms(r.delivery.p99)}  join p50 ${ms(r.joins.p50)}  p95 ${ms(r.joins.p95)}  refused ${r.refusals}`;

export async function benchRoomFanout(options: FanoutOptions = defaultFanoutOptions): Promise<void> {
  const secrets = await loadOrCreateSecrets();
  const tenant = await provisionTenant(databaseUrl(secrets), "bench room fan-out");
  const meeting = await postJson<{ id: string }>("/v1/meetings", tenant.apiKey, {
    title: "bench fan-out",
    maxParticipants: options.clients,
  });

  // Tokens are minted before either run, outside the join timing; both systems verify the same tokens.
  const tokens: { token: string; connectUrl: string }[] = [];
  const minted = await runBounded(options.clients, options.joinConcurrency, async (i) => {
    tokens[i] = await postJson(`/v1/meetings/${meeting.id}/tokens`, tenant.apiKey, {
      identity: `bench-${i}`,
      role: "participant",
      ttlSeconds: 600,
    });
  });

  // The baseline runs first: a room that fell behind keeps working through its queue after the run, and that
  // must not share the cores with the baseline's measurement.
  const baseline = await startSocketIoBaseline({
    signingKeys: JSON.stringify(secrets.joinTokenSigningKeys),
    issuer: workerVars(secrets).JOIN_TOKEN_ISSUER ?? defaultJoinTokenIssuer,
    redisHost: host,
    redisPort: ports.redis,
  });
  let base: FanoutResult;
  try {
    base = await runFanout((i, onChat) => SocketIoRoomClient.join(baseline.url, tokens[i]!.token, onChat), options);
  } finally {
    await baseline.stop();
  }

  // Ending the meeting closes every socket in one room event rather than N leaves each broadcast to everyone
  // left; bounded, because the end request queues behind any chat frames the room has not handled yet.
  const endMeeting = () =>
    postJson(`/v1/meetings/${meeting.id}/end`, tenant.apiKey, {}, AbortSignal.timeout(endTimeoutMs)).then(() => undefined);
  const ours = await runFanout((i, onChat) => DoRoomClient.join(tokens[i]!.connectUrl, onChat), options, endMeeting);

  const mint = summarize(minted.samples, minted.wallMs);
  const { clients, messagesPerSecond, warmupSeconds, measureSeconds } = options;
  console.log(
    `\nChat fan-out in one meeting (${clients} WebSocket clients on loopback, each ${messagesPerSecond} msg/s for ${measureSeconds} s after ${warmupSeconds} s warm-up;` +
      ` load generator shares the 2 cores)`,
  );
  console.log(`${"".padEnd(38)} delivered  of sent×N   latency (send → receive)        join (open → roster)`);
  console.log(row("baseline: Socket.IO + Redis adapter", base));
  console.log(row("ours: MeetingRoom DO via workerd", ours));
  for (const [name, r] of [
    ["baseline", base],
    ["ours", ours],
  ] as const) {
    if (r.delivery.count < r.expected) {
      console.log(
        `${name} fell behind: ${r.delivery.count} of ${r.expected} deliveries within ${options.drainMs} ms of the last send; its latency is queueing time`,
      );
    }
  }
  console.log(`token mint (POST /v1/meetings/{id}/tokens, before the joins): p50 ${ms(mint.p50)}  p95 ${ms(mint.p95)}`);
  console.log(
    `ratio (ours / baseline): throughput ${(ours.delivery.perSecond / base.delivery.perSecond).toFixed(2)}x,` +
      ` p50 latency ${(ours.delivery.p50 / base.delivery.p50).toFixed(2)}x, join p50 ${(ours.joins.p50 / base.joins.p50).toFixed(2)}x`,
  );
}
