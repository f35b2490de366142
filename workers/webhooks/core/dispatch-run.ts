import type { AttemptAnswer } from "./delivery-outcome.ts";
import { settleAttempt } from "./delivery-outcome.ts";
import type { DispatchEndpoint, QueuedDelivery, SettledAttempt } from "./dispatch-types.ts";
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
  /** Up to `perLane` waiting deliveries of each lane, leaving out the lanes in flight. */
  loadLanes(endpoint: DispatchEndpoint, inFlight: readonly string[]): Promise<QueuedDelivery[][]>;
  send(endpoint: DispatchEndpoint, delivery: QueuedDelivery, at: number): Promise<SendResult>;
  writeSettled(endpoint: DispatchEndpoint, settled: readonly SettledAttempt[]): Promise<void>;
  setFailingSince(endpoint: DispatchEndpoint, at: number | null): Promise<void>;
  /** Disables the endpoint and tells the tenant's other endpoints (`endpoint.disabled`). */
  disable(endpoint: DispatchEndpoint, reason: "gone" | "failing"): Promise<void>;
  now(): number;
  /** Resolves after `ms` (the wait for a lane's next attempt while others are in flight). */
  sleep(ms: number): Promise<void>;
  random?(): number;
}

export interface DispatchOptions {
  schedule: RetrySchedule;
  /** Lanes (meetings) sent to at once; within a lane, one at a time. */
  laneConcurrency: number;
  /** Settled attempts written together (write-behind); a crash before the write only repeats a delivery. */
  writeBatch: number;
  /** Deliveries read per lane at a time (loadLanes' page). */
  perLane: number;
}

/**
 * Sends one endpoint's due deliveries: lanes (meetings) in parallel, each lane strictly in order, a failed head
 * holding its lane (and only its lane) until its next attempt. Lanes start as soon as they are due, whatever the
 * others are doing, so a meeting whose receiver call hangs holds up nothing but itself. `run` returns when nothing
 * is in flight or due: with the time the next delivery falls due (null when nothing waits, or the endpoint is
 * disabled or gone). `poke` makes a running dispatch look for new deliveries at once.
 */
export class EndpointDispatch {
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Bumped when a lane finishes (its attempts written): a lane read before that is stale and is read again. */
  private readonly laneVersions = new Map<string, number>();
  private buffer: SettledAttempt[] = [];
  private writing: Promise<void> = Promise.resolve();
  private disabled = false;
  /** Something the lanes in flight don't know may have changed: read the queue at the next chance. */
  private needsRead = false;
  private reads = 0;
  private attempted = 0;
  private endpoint: DispatchEndpoint | null = null;
  private wake: () => void = () => {};
  private woken = false;

  constructor(
    private readonly ports: DispatchPorts,
    private readonly options: DispatchOptions,
  ) {}

  poke(): void {
    this.woken = true;
    this.wake();
  }

  /** Whether any delivery was attempted in this dispatch's runs. */
  get attemptedAny(): boolean {
    return this.attempted > 0;
  }

  /** A poke came after the last read of the queue: whoever ran this must run again. */
  get pokedSinceLastRead(): boolean {
    return this.woken;
  }

  async run(): Promise<number | null> {
    let nextDue: number | null = null;
    let read = true;
    try {
      for (;;) {
        if (read) {
          const outcome = await this.read();
          if (outcome === "gone") return null;
          nextDue = outcome.nextDue;
        }
        if (this.inFlight.size === 0) {
          if (this.woken || this.needsRead) {
            read = true;
            continue;
          }
          return nextDue;
        }
        await this.untilSomethingChanges(nextDue === null ? null : nextDue - this.ports.now());
        // Reading the queue is the costly part: only when something may have changed that the lanes in flight don't know.
        read = this.woken || this.needsRead || (nextDue !== null && nextDue <= this.ports.now());
      }
    } finally {
      await Promise.all(this.inFlight.values());
      await this.flush();
    }
  }

  /** Reads the queue (lanes not in flight) and starts the due lanes there is room for. */
  private async read(): Promise<{ nextDue: number | null } | "gone"> {
    this.woken = false;
    this.needsRead = false;
    this.reads++;
    const endpoint = await this.ports.loadEndpoint();
    if (!endpoint?.enabled || this.disabled) return "gone";
    this.endpoint = endpoint;
    const versions = new Map(this.laneVersions);
    const lanes = await this.ports.loadLanes(endpoint, [...this.inFlight.keys()]);
    const now = this.ports.now();
    const idle = lanes.filter((lane) => {
      const key = lane[0]!.laneKey;
      return !this.inFlight.has(key) && (this.laneVersions.get(key) ?? 0) === (versions.get(key) ?? 0);
    });
    // Lanes that finished while this read ran were read stale: read again once they are settled.
    if (idle.length < lanes.length) this.needsRead = true;
    const due = idle.filter((lane) => lane[0]!.nextAttemptAt <= now);
    const room = Math.max(0, this.options.laneConcurrency - this.inFlight.size);
    for (const lane of due.slice(0, room)) this.start(endpoint, lane);
    if (due.length > room) this.needsRead = true;
    const waiting = idle.filter((lane) => lane[0]!.nextAttemptAt > now).map((lane) => lane[0]!.nextAttemptAt);
    return { nextDue: waiting.length ? Math.min(...waiting) : null };
  }

  /** Waits for a lane to finish, a poke, or the next due time, whichever comes first. */
  private async untilSomethingChanges(dueInMs: number | null): Promise<void> {
    if (this.woken) return;
    const poked = new Promise<void>((resolve) => (this.wake = resolve));
    const waits: Promise<unknown>[] = [...this.inFlight.values(), poked];
    if (dueInMs !== null) waits.push(this.ports.sleep(Math.max(0, dueInMs)));
    await Promise.race(waits);
    this.wake = () => {};
  }

  private start(endpoint: DispatchEndpoint, lane: readonly QueuedDelivery[]): void {
    const key = lane[0]!.laneKey;
    const readsAtStart = this.reads;
    const work = this.runLane(endpoint, lane).then((ended) => {
      // A full page may have more behind it; a held head has a new due time.
      if (ended !== "drained" || lane.length >= this.options.perLane) this.needsRead = true;
    });
    const settled = work.finally(async () => {
      await this.flush();
      // Any read since the lane started (up to this moment: it is still in flight while its attempts are written)
      // left it out, and may have missed rows that reached it meanwhile.
      if (this.reads !== readsAtStart) this.needsRead = true;
      this.laneVersions.set(key, (this.laneVersions.get(key) ?? 0) + 1);
      this.inFlight.delete(key);
    });
    this.inFlight.set(
      key,
      settled.catch(() => {}),
    );
  }

  /** Sends a lane's deliveries in order; `drained` when every one was delivered or dead. */
  private async runLane(endpoint: DispatchEndpoint, lane: readonly QueuedDelivery[]): Promise<"drained" | "held"> {
    for (const delivery of lane) {
      const startedAt = this.ports.now();
      if (this.disabled || delivery.nextAttemptAt > startedAt) return "held";
      const sent = await this.ports.send(endpoint, delivery, startedAt);
      this.attempted++;
      const attempts = delivery.attempts + 1;
      const settlement = settleAttempt(
        sent.answer,
        attempts,
        { failingSince: endpoint.failingSince, disableAfterSeconds: endpoint.disableAfterSeconds },
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
      if (settlement.failingSince !== endpoint.failingSince) {
        endpoint.failingSince = settlement.failingSince;
        await this.ports.setFailingSince(endpoint, settlement.failingSince);
      }
      if (settlement.disable && !this.disabled) {
        this.disabled = true;
        await this.flush();
        await this.ports.disable(endpoint, settlement.disable);
        this.poke();
        return "held";
      }
      if (this.buffer.length >= this.options.writeBatch) await this.flush();
      // A failed head holds its lane until its next attempt; a dead one lets the lane go on.
      if (settlement.delivery.status === "failed") return "held";
    }
    return "drained";
  }

  /** Writes what is buffered; writes run one after another so a delivery's attempts land in order. */
  private flush(): Promise<void> {
    const batch = this.buffer;
    const endpoint = this.endpoint;
    this.buffer = [];
    if (batch.length > 0 && endpoint) {
      // A failed write fails this flush only; the chain goes on for the next (those deliveries are simply sent again).
      this.writing = this.writing.catch(() => {}).then(() => this.ports.writeSettled(endpoint, batch));
    }
    return this.writing;
  }
}
