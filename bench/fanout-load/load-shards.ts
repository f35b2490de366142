import path from "node:path";
import { Worker } from "node:worker_threads";
import { repoRoot } from "../../scripts/lib/paths.ts";
import { summarize, type LatencySummary } from "../latency-stats.ts";
import type { Seat, ShardReply, ShardRequest } from "./shard-messages.ts";

/** Omit applied to each member of a union, so each kind of request keeps its own fields. */
type WithoutId<R> = R extends unknown ? Omit<R, "id"> : never;
/** A request before `ask` numbers it. */
type Request = WithoutId<ShardRequest>;
type ReplyOf<T extends ShardReply["type"]> = Extract<ShardReply, { type: T }>;

/** What one trial of a step measured across all threads. */
export interface StepMeasurement {
  latencies: number[];
  /** On the shared clock; 0 when nothing measured arrived. */
  lastReceivedAt: number;
  refusals: number;
}

/**
 * The fan-out bench's load generator: clients spread over worker threads (shard.ts), seat p on thread p mod k.
 * The bench drives all threads in step and merges what they measured.
 */
export class LoadShards {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (reply: ShardReply) => void; reject: (error: Error) => void }>();
  /** Threads that have exited, and why: a request to one would never be answered. */
  private readonly exited = new Map<Worker, Error>();

  private constructor(private readonly threads: Worker[]) {
    for (const thread of threads) {
      thread.on("message", (reply: ShardReply) => {
        const waiter = this.pending.get(reply.id);
        this.pending.delete(reply.id);
        if (reply.type === "failed") waiter?.reject(new Error(`load thread: ${reply.message}`));
        else waiter?.resolve(reply);
      });
      thread.on("error", (error) => {
        this.exited.set(thread, error);
        this.failAll(error);
      });
      thread.on("exit", (code) => {
        const error = this.exited.get(thread) ?? new Error(`load thread exited with ${code}`);
        this.exited.set(thread, error);
        this.failAll(error);
      });
    }
  }

  static start(count: number): LoadShards {
    // FANOUT_LOAD_THREADS=abc would otherwise start no thread, and every sweep would measure nothing.
    if (!Number.isInteger(count) || count < 1) throw new Error(`load threads must be a whole number ≥ 1, got ${count}`);
    return new LoadShards(Array.from({ length: count }, () => new Worker(path.join(repoRoot, "bench/fanout-load/shard.ts"))));
  }

  /**
   * Joins the seats over all threads, `concurrency` in flight in all; `keep: false` (the quiet joins) runs them on
   * the first thread alone and closes them once all have joined. A failed join is reported once all have settled.
   */
  async join(seats: Seat[], concurrency: number, keep: boolean): Promise<{ summary: LatencySummary; failure?: Error }> {
    const shares = keep ? this.threads.map((_, s) => seats.filter((seat) => seat.position % this.threads.length === s)) : [seats];
    const replies = await Promise.all(
      shares.map((share, s) => {
        // The threads' concurrencies add up to `concurrency`.
        const own = Math.floor(concurrency / shares.length) + (s < concurrency % shares.length ? 1 : 0);
        return this.ask<"joined">(s, { type: "join", seats: share, concurrency: Math.max(1, own), keep });
      }),
    );
    const failure = replies.find((reply) => reply.failure)?.failure;
    return {
      summary: summarize(
        replies.flatMap((reply) => reply.samples),
        Math.max(...replies.map((reply) => reply.wallMs)),
      ),
      ...(failure ? { failure: new Error(failure) } : {}),
    };
  }

  async step(request: Extract<Request, { type: "step" }>): Promise<StepMeasurement> {
    const replies = await Promise.all(this.threads.map((_, s) => this.ask<"stepped">(s, request)));
    return {
      latencies: replies.flatMap((reply) => Array.from(reply.latencies)),
      lastReceivedAt: Math.max(...replies.map((reply) => reply.lastReceivedAt)),
      refusals: replies.reduce((sum, reply) => sum + reply.refusals, 0),
    };
  }

  /** Closes every client; the threads stay for the next sweep. */
  async closeClients(): Promise<void> {
    await Promise.all(this.threads.map((_, s) => this.ask<"closed">(s, { type: "close" })));
  }

  /** Closes every client, then ends the threads. */
  async stop(): Promise<void> {
    await this.closeClients().catch(() => undefined);
    await Promise.all(this.threads.map((thread) => thread.terminate()));
  }

  private ask<T extends ShardReply["type"]>(shard: number, request: Request): Promise<ReplyOf<T>> {
    const id = this.nextId++;
    const thread = this.threads[shard]!;
    return new Promise<ShardReply>((resolve, reject) => {
      const gone = this.exited.get(thread);
      if (gone) return reject(gone);
      this.pending.set(id, { resolve, reject });
      thread.postMessage({ ...request, id } as ShardRequest);
    }) as Promise<ReplyOf<T>>;
  }

  private failAll(error: Error): void {
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }
}
