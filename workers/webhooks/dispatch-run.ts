import type { AttemptAnswer } from "./delivery-outcome.ts";
import { settleAttempt } from "./delivery-outcome.ts";
import type { DispatchEndpoint, QueuedDelivery, SettledAttempt } from "./delivery-repository.ts";
import type { RetrySchedule } from "./retry-schedule.ts";

/** What one send came back with. */
export interface SendResult {
  answer: AttemptAnswer;
  latencyMs: number;
  responseSnippet: string | null;
}

/** The dispatcher's I/O, injected so the run itself holds no runtime, database or HTTP client. */
export interface DispatchPorts {
  loadEndpoint(): Promise<DispatchEndpoint | null>;
  loadLanes(endpoint: DispatchEndpoint): Promise<QueuedDelivery[][]>;
  send(endpoint: DispatchEndpoint, delivery: QueuedDelivery, at: number): Promise<SendResult>;
  writeSettled(endpoint: DispatchEndpoint, settled: readonly SettledAttempt[]): Promise<void>;
  setFailingSince(endpoint: DispatchEndpoint, at: number | null): Promise<void>;
  /** Disables the endpoint and tells the tenant's other endpoints (`endpoint.disabled`). */
  disable(endpoint: DispatchEndpoint, reason: "gone" | "failing"): Promise<void>;
  now(): number;
  random?(): number;
}

export interface DispatchOptions {
  schedule: RetrySchedule;
  /** Lanes (meetings) sent to at once; within a lane, one at a time. */
  laneConcurrency: number;
  /** Settled attempts written together (write-behind); a crash before the write only repeats a delivery. */
  writeBatch: number;
}

/**
 * Sends an endpoint's due deliveries until none is due: lanes in parallel, each lane strictly in order, a failed head
 * holding its lane (and only its lane) until its next attempt. Returns when the dispatcher next has work (the
 * earliest waiting head), or null when nothing waits or the endpoint is disabled or gone.
 */
export async function dispatchDue(ports: DispatchPorts, options: DispatchOptions): Promise<number | null> {
  for (;;) {
    const endpoint = await ports.loadEndpoint();
    if (!endpoint?.enabled) return null;
    const lanes = await ports.loadLanes(endpoint);
    const now = ports.now();
    const runnable = lanes.filter((lane) => lane[0]!.nextAttemptAt <= now);
    if (runnable.length === 0) {
      return lanes.length === 0 ? null : Math.min(...lanes.map((lane) => lane[0]!.nextAttemptAt));
    }
    const pass = new DispatchPass(ports, options, endpoint);
    await pass.run(runnable);
    if (pass.disabled) return null;
  }
}

/** One pass over the lanes that are due: sends, settles, writes behind. */
class DispatchPass {
  disabled = false;
  private buffer: SettledAttempt[] = [];
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly ports: DispatchPorts,
    private readonly options: DispatchOptions,
    private readonly endpoint: DispatchEndpoint,
  ) {}

  async run(lanes: QueuedDelivery[][]): Promise<void> {
    const queue = [...lanes];
    const workers = Array.from({ length: Math.min(this.options.laneConcurrency, queue.length) }, async () => {
      for (let lane = queue.shift(); lane && !this.disabled; lane = queue.shift()) await this.runLane(lane);
    });
    try {
      await Promise.all(workers);
    } finally {
      await this.flush();
    }
  }

  private async runLane(lane: readonly QueuedDelivery[]): Promise<void> {
    for (const delivery of lane) {
      const startedAt = this.ports.now();
      if (this.disabled || delivery.nextAttemptAt > startedAt) return;
      const sent = await this.ports.send(this.endpoint, delivery, startedAt);
      const attempts = delivery.attempts + 1;
      const settlement = settleAttempt(
        sent.answer,
        attempts,
        { failingSince: this.endpoint.failingSince, disableAfterSeconds: this.endpoint.disableAfterSeconds },
        this.options.schedule,
        this.ports.now(),
        this.ports.random,
      );
      this.buffer.push({
        deliveryId: delivery.id,
        attempt: attempts,
        startedAt,
        latencyMs: sent.latencyMs,
        statusCode: sent.answer.statusCode,
        responseSnippet: sent.responseSnippet,
        settlement,
      });
      if (settlement.failingSince !== this.endpoint.failingSince) {
        this.endpoint.failingSince = settlement.failingSince;
        await this.ports.setFailingSince(this.endpoint, settlement.failingSince);
      }
      if (settlement.disable && !this.disabled) {
        this.disabled = true;
        await this.flush();
        await this.ports.disable(this.endpoint, settlement.disable);
        return;
      }
      if (this.buffer.length >= this.options.writeBatch) await this.flush();
      // A failed head holds its lane until its next attempt; a dead one lets the lane go on.
      if (settlement.delivery.status === "failed") return;
    }
  }

  /** Writes what is buffered; writes run one after another so a delivery's attempts land in order. */
  private flush(): Promise<void> {
    const batch = this.buffer;
    this.buffer = [];
    if (batch.length > 0) this.writing = this.writing.then(() => this.ports.writeSettled(this.endpoint, batch));
    return this.writing;
  }
}
