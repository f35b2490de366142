import type { Database, QueryDatabase } from "../../db/database.ts";
import { sqlStateOfError } from "../../db/database-errors.ts";
import { describeError, logEvent } from "../../observability/log.ts";
import {
  afterRecordFailure,
  classifyWriteFailure,
  dueRecords,
  outageDelayMs,
  outboxDueAt,
  outboxRetryPolicy,
  type RetryPolicy,
  type RetryState,
  type WriteFailure,
} from "../core/outbox-policy.ts";
import { databaseAnswers, writeDeadLetter, type RoomRecordKeys } from "./room-persistence.ts";

export type OutboxName = "chat" | "records";

/** Opens a database for one flush; the outbox closes it when the flush is done. */
export type DatabaseOpener<D extends QueryDatabase = Database> = () => { db: D; close(): Promise<void> };

/** What one outbox holds and how its records are written: chat-outbox.ts, record-outbox.ts. */
export interface OutboxQueue<T, D extends QueryDatabase = Database> {
  readonly name: OutboxName;
  /** Records that must reach Postgres in order (a leave never before its join) wait behind one backing off. */
  readonly ordered: boolean;
  readonly batchSize: number;
  /** How long a new record waits for others before its flush starts, so they share one connection (0: at once). */
  readonly gatherMs: number;
  pending(): readonly T[];
  /** Some pending record (undefined: none), found without listing them all: dueAt asks after every room event. */
  anyPending?(): T | undefined;
  /** The record's key while it is pending (its retry state is kept under it). */
  keyOf(item: T): string;
  /** Its name as a dead letter: the same on every try, so a retried dead-lettering stores it once. */
  deadLetterKey(item: T): string;
  write(db: D, keys: RoomRecordKeys, items: readonly T[]): Promise<void>;
  /** Written and dead-lettered records leave the outbox. */
  settle(written: readonly T[], deadLettered: readonly T[]): Promise<void>;
}

export interface OutboxOptions<D extends QueryDatabase = Database> {
  openDatabase: DatabaseOpener<D>;
  /** Whose records these are; undefined until the room knows its tenant (nothing is written before). */
  keys: () => RoomRecordKeys | undefined;
  saveRetries: (outbox: OutboxName, retries: Record<string, RetryState>) => Promise<void>;
  /** Keeps the isolate alive for work after the flush (closing its connections). */
  waitUntil: (work: Promise<unknown>) => void;
  /**
   * Runs before records are read for a write: the room's deferred storage writes go first, so Postgres never gets a
   * record the room's own storage does not have yet (RoomStore.writeDeferred).
   */
  beforeWrite?: () => Promise<void>;
  now?: () => number;
  policy?: RetryPolicy;
}

/**
 * One of the room's durable outboxes: writes its records to Postgres, retries a record Postgres refuses with
 * exponential backoff and dead-letters it at the limit (outbox_dead_letters, counted in /healthz) so it never
 * blocks the others; when the database itself is down the whole outbox waits and nothing counts against a
 * record. The decisions are outbox-policy.ts; this is the loop around them. One flush runs at a time.
 */
export class Outbox<T, D extends QueryDatabase = Database> {
  private readonly retries: Map<string, RetryState>;
  private readonly policy: RetryPolicy;
  private readonly now: () => number;
  /** Records arrived while a flush ran: it goes round once more instead of leaving them to the alarm. */
  private rerun = false;
  private outages = 0;
  /** After the database failed the outbox as a whole: the alarm retries no sooner than this. */
  private resumeAt: number | null = null;
  /** The flush that starts when the gathering window closes, while one is open. */
  private gathering: Promise<void> | null = null;
  /** The flush under way. */
  private running: Promise<void> | null = null;

  constructor(
    private readonly queue: OutboxQueue<T, D>,
    private readonly options: OutboxOptions<D>,
  ) {
    this.retries = new Map();
    this.policy = options.policy ?? outboxRetryPolicy;
    this.now = options.now ?? Date.now;
  }

  /** Takes back the retry states stored before an eviction or restart. */
  restore(retries: Record<string, RetryState>): void {
    this.retries.clear();
    for (const [key, retry] of Object.entries(retries)) this.retries.set(key, retry);
  }

  /** When this outbox next needs the room's alarm (null: it holds nothing). */
  dueAt(): number | null {
    // Asked after every room event: with no record backing off, any one key gives the same answer as all of them.
    const named =
      this.retries.size > 0 ? this.queue.pending() : [this.queue.anyPending ? this.queue.anyPending() : this.queue.pending()[0]];
    const pendingKeys = named.flatMap((item) => (item === undefined ? [] : [this.queue.keyOf(item)]));
    const { ordered } = this.queue;
    return outboxDueAt(
      { pendingKeys, retries: this.retries, ordered, inFlight: this.running !== null, waitUntil: this.resumeAt, now: this.now() },
      this.policy,
    );
  }

  /**
   * A new record's flush: after the queue's gathering window, which every record arriving meanwhile joins. The
   * records are already durable in the room's storage, and the alarm flushes them if the room is evicted first.
   */
  flushSoon(): Promise<void> {
    if (this.queue.gatherMs <= 0) return this.flush();
    this.gathering ??= new Promise<void>((resolve) => setTimeout(resolve, this.queue.gatherMs)).then(() => {
      this.gathering = null;
      return this.flush();
    });
    return this.gathering;
  }

  /** Writes what is pending now; while a flush runs, it goes round once more and this resolves when it is done. */
  flush(): Promise<void> {
    if (this.running) {
      this.rerun = true;
      return this.running;
    }
    const keys = this.options.keys();
    if (!keys || this.queue.pending().length === 0) return Promise.resolve();
    this.running = this.flushAll(keys).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async flushAll(keys: RoomRecordKeys): Promise<void> {
    const handle = this.options.openDatabase();
    try {
      do {
        this.rerun = false;
        await this.drain(handle.db, keys);
      } while (this.rerun && this.resumeAt === null);
    } finally {
      this.options.waitUntil(handle.close().catch(() => {}));
    }
  }

  private async drain(db: D, keys: RoomRecordKeys): Promise<void> {
    for (;;) {
      await this.options.beforeWrite?.();
      const due = dueRecords(this.queue.pending(), (item) => this.queue.keyOf(item), this.retries, this.now(), this.queue.ordered);
      if (due.length === 0) return;
      if ((await this.attempt(db, keys, due.slice(0, this.queue.batchSize))) === "database") return;
    }
  }

  /** Writes a batch; if Postgres refuses it, writes it one record at a time so only the bad one is held back. */
  private async attempt(db: D, keys: RoomRecordKeys, batch: readonly T[]): Promise<"written" | "database"> {
    if (batch.length > 1) {
      try {
        await this.queue.write(db, keys, batch);
        this.recovered();
        await this.settle(batch, []);
        return "written";
      } catch (error) {
        if ((await this.classify(db, error)).failure === "database") return this.outage(error);
      }
    }
    const written: T[] = [];
    const dead: T[] = [];
    try {
      for (const item of batch) {
        try {
          await this.queue.write(db, keys, [item]);
          this.recovered();
          written.push(item);
        } catch (error) {
          const { failure, errorClass } = await this.classify(db, error);
          if (failure === "database") return this.outage(error);
          const key = this.queue.keyOf(item);
          const decision = afterRecordFailure(this.retries.get(key), errorClass, this.now(), this.policy);
          if (decision.kind === "retry") {
            this.retries.set(key, decision.retry);
            await this.saveRetries();
            if (this.queue.ordered) return "written";
            continue;
          }
          if (!(await this.deadLetter(db, keys, item, decision.attempts, errorClass))) return this.outage(error);
          dead.push(item);
        }
      }
      return "written";
    } finally {
      if (written.length || dead.length) await this.settle(written, dead);
    }
  }

  /** Stores the record in outbox_dead_letters; false if even that failed (the record stays, and is tried again). */
  private async deadLetter(db: D, keys: RoomRecordKeys, item: T, attempts: number, errorClass: string): Promise<boolean> {
    const letter = { ...keys, outbox: this.queue.name, recordKey: this.queue.deadLetterKey(item), attempts, errorClass };
    try {
      await writeDeadLetter(db, { ...letter, payload: JSON.stringify(item) });
    } catch (error) {
      // Refused for what it holds: the letter is kept without it rather than blocking the outbox again.
      if ((await this.classify(db, error)).failure === "database") return false;
      try {
        await writeDeadLetter(db, { ...letter, payload: null });
      } catch {
        return false;
      }
    }
    logEvent("outbox_dead_lettered", {
      outbox: this.queue.name,
      meetingId: keys.meetingId,
      recordKey: letter.recordKey,
      attempts,
      errorClass,
    });
    return true;
  }

  private async settle(written: readonly T[], dead: readonly T[]): Promise<void> {
    let changed = false;
    for (const item of [...written, ...dead]) changed = this.retries.delete(this.queue.keyOf(item)) || changed;
    await this.queue.settle(written, dead);
    if (changed) await this.saveRetries();
  }

  private async classify(db: D, error: unknown): Promise<{ failure: WriteFailure; errorClass: string }> {
    const sqlState = sqlStateOfError(error);
    // Without a SQLSTATE the statement never reached Postgres: the record is to blame only if the database answers.
    const answered = sqlState !== undefined || (await databaseAnswers(db));
    const errorClass = sqlState ? `sqlstate:${sqlState}` : errorName(error);
    return { failure: classifyWriteFailure(sqlState, answered), errorClass };
  }

  private outage(error: unknown): "database" {
    this.outages++;
    this.resumeAt = this.now() + outageDelayMs(this.outages, this.policy);
    logEvent("meeting_room_error", {
      where: `${this.queue.name}_outbox`,
      pending: this.queue.pending().length,
      error: describeError(error),
    });
    return "database";
  }

  private recovered(): void {
    this.outages = 0;
    this.resumeAt = null;
  }

  private saveRetries(): Promise<void> {
    return this.options.saveRetries(this.queue.name, Object.fromEntries(this.retries));
  }
}

function errorName(error: unknown): string {
  const cause = error instanceof Error && "query" in error && error.cause instanceof Error ? error.cause : error;
  return cause instanceof Error ? cause.name.slice(0, 100) : typeof cause;
}
