import { parentPort } from "node:worker_threads";
import { runBounded } from "../latency-stats.ts";
import { type FanoutClient, FailedJoin, joinSeat } from "./room-clients.ts";
import { sharedNow } from "./shared-clock.ts";
import type { Seat, ShardReply, ShardRequest } from "./shard-messages.ts";

/**
 * One load thread of the fan-out bench: it holds a share of the clients, sends their chat on the step's schedule
 * and times what they receive. Each thread has its own heap and event loop, as real participants on their own
 * machines do, so one thread's garbage collection delays only its own clients' deliveries.
 */

const port = parentPort;
if (!port) throw new Error("shard.ts runs as a worker thread of the fan-out bench");

const clients = new Map<number, FanoutClient>();
const timers = new Set<NodeJS.Timeout>();
/** Body prefix of the messages being timed ("" between trials): "m<step><trial> <sent at> <client>". */
let measuring = "";
let latencies: number[] = [];
let lastReceivedAt = 0;

const onChat = (body: string) => {
  if (!measuring || !body.startsWith(measuring)) return;
  const now = sharedNow();
  latencies.push(now - Number(body.split(" ", 2)[1]));
  lastReceivedAt = now;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const refusals = () => [...clients.values()].reduce((sum, client) => sum + client.refusals, 0);

async function join(id: number, seats: Seat[], concurrency: number, keep: boolean): Promise<ShardReply> {
  const joined: FanoutClient[] = [];
  let failure: string | undefined;
  const timed = await runBounded(seats.length, concurrency, async (k) => {
    joined[k] = await joinSeat(seats[k]!.target, keep ? onChat : () => {}).catch((error: unknown) => {
      failure ??= error instanceof Error ? error.message : String(error);
      return new FailedJoin();
    });
  });
  if (keep) for (const [k, seat] of seats.entries()) clients.set(seat.position, joined[k]!);
  else await Promise.all(joined.map((client) => client.close()));
  return { type: "joined", id, samples: timed.samples, wallMs: timed.wallMs, ...(failure ? { failure } : {}) };
}

async function step(request: Extract<ShardRequest, { type: "step" }>): Promise<ShardReply> {
  const { id, name, clients: n, periodMs, warm, total, startAt, drainMs } = request;
  const refusalsBefore = refusals();
  latencies = [];
  lastReceivedAt = 0;
  measuring = `m${name} `;
  let sendsLeft = clients.size * total;
  await new Promise<void>((allSent) => {
    if (sendsLeft === 0) allSent();
    for (const [position, client] of clients) {
      const schedule = (k: number) => {
        const timer = setTimeout(
          () => {
            timers.delete(timer);
            const phase = k < warm ? `w${name}` : `m${name}`;
            client.sendChat(`bench-${name}-${position}-${k}`, `${phase} ${sharedNow().toFixed(3)} ${position}`);
            if (k + 1 < total) schedule(k + 1);
            if (--sendsLeft === 0) allSent();
          },
          Math.max(0, startAt + (position / n) * periodMs + k * periodMs - sharedNow()),
        );
        timers.add(timer);
      };
      schedule(0);
    }
  });
  // Every measured message of every sender (this thread's and the others') reaches each of this thread's clients.
  const expected = clients.size * n * (total - warm);
  const drainUntil = sharedNow() + drainMs;
  while (latencies.length < expected && sharedNow() < drainUntil) await sleep(20);
  measuring = "";
  return { type: "stepped", id, latencies: Float64Array.from(latencies), lastReceivedAt, refusals: refusals() - refusalsBefore };
}

async function close(id: number): Promise<ShardReply> {
  measuring = "";
  for (const timer of timers) clearTimeout(timer);
  timers.clear();
  await Promise.all([...clients.values()].map((client) => client.close()));
  clients.clear();
  return { type: "closed", id };
}

function handle(request: ShardRequest): Promise<ShardReply> {
  switch (request.type) {
    case "join":
      return join(request.id, request.seats, request.concurrency, request.keep);
    case "step":
      return step(request);
    case "close":
      return close(request.id);
    default:
      return request satisfies never;
  }
}

port.on("message", (request: ShardRequest) => {
  handle(request).then(
    (reply) => port.postMessage(reply, reply.type === "stepped" ? [reply.latencies.buffer as ArrayBuffer] : []),
    (error: unknown) => port.postMessage({ type: "failed", id: request.id, message: String(error) } satisfies ShardReply),
  );
});
