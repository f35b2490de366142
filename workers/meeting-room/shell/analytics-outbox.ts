import type { AnalyticsBatch } from "../../../protocol/analytics-batch.ts";
import { logEvent } from "../../observability/log.ts";
import {
  AnalyticsCounters,
  afterFailure,
  append,
  close,
  closesAt,
  dueBatches,
  emptyCounters,
  enforceBound,
  isFull,
  queueDueAt,
  QueuedBatch,
  recordCount,
  type AnalyticsQueuePolicy,
  type OpenBatch,
} from "../core/analytics-queue.ts";
import { roomKeyPrefixes, roomKeys } from "../core/storage-keys.ts";
import type { AnalyticsRecordEffect } from "../core/room-transition.ts";
import type { AnalyticsIngest, IngestOutcome } from "./analytics-ingest.ts";
import type { RoomRecordKeys } from "./room-persistence.ts";

export interface AnalyticsOutboxOptions {
  storage: DurableObjectStorage;
  ingest: AnalyticsIngest;
  policy: AnalyticsQueuePolicy;
  /** Whose meeting this is; undefined until the first connect named the tenant. */
  keys: () => RoomRecordKeys | undefined;
  /** The region the meeting's analytics are filed under now (core/analytics-region.ts). */
  region: () => string;
  /** After a send settled: the room's alarm follows what is left. */
  afterSend: () => Promise<void>;
  now?: () => number;
}

/** What a room reports about its analytics queue (the room's status route, and tests). */
export interface AnalyticsQueueStatus extends AnalyticsCounters {
  openRecords: number;
  queuedBatches: number;
  queuedSamples: number;
}

/** Dead batches kept for inspection; older ones are deleted (they stay counted). */
const deadBatchesKept = 10;
/** Sample ids remembered to drop a sample a reconnecting client sends again. */
const recentSampleIds = 2_048;

/**
 * The room's analytics queue (core/analytics-queue.ts decides; this keeps and sends). Records collect in memory
 * in the open batch, which the room closes at 500 records, 1 MB or 10 s (and when the meeting empties); a closed batch
 * is stored before it is sent, and leaves storage only once the function has stored it. So a restart loses at
 * most the open batch, never a closed one, and chat or signalling never wait for any of it: sends run in the
 * background, a few at a time.
 */
export class AnalyticsOutbox {
  private open: OpenBatch | null = null;
  private readonly queue = new Map<string, QueuedBatch>();
  private counters: AnalyticsCounters = emptyCounters;
  private readonly inFlight = new Set<string>();
  private readonly recent = new Set<string>();
  private draining = false;
  private rerun = false;
  private readonly now: () => number;

  constructor(private readonly options: AnalyticsOutboxOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Takes back the closed batches and counters stored before an eviction or restart. */
  async load(): Promise<string[]> {
    const { storage } = this.options;
    const corrupt: string[] = [];
    for (const [key, value] of await storage.list({ prefix: roomKeyPrefixes.analyticsBatch })) {
      const batch = QueuedBatch.safeParse(value);
      if (batch.success) this.queue.set(batch.data.batchId, batch.data);
      else corrupt.push(key);
    }
    const counters = AnalyticsCounters.safeParse(await storage.get(roomKeys.analyticsCounters));
    this.counters = counters.success ? counters.data : emptyCounters;
    if (corrupt.length) await storage.delete(corrupt);
    return corrupt;
  }

  /**
   * Adds a record to the open batch; a full batch is closed and sent at once. A record arriving under another
   * region than the open batch's (the meeting moved to or between SFU nodes) first closes that batch, so every
   * record is filed under the region it was measured in.
   */
  async add(effect: AnalyticsRecordEffect): Promise<void> {
    const now = this.now();
    const region = this.options.region();
    let record: unknown = effect.record;
    if (effect.list === "samples") {
      if (this.recent.has(effect.record.sampleId)) return;
      this.remember(effect.record.sampleId);
    } else if (effect.list === "sessions") {
      const keys = this.options.keys();
      if (!keys) return;
      const { participant, joinedAt, leftAt } = effect.record;
      const sessionId = await sessionIdOf(`${keys.tenantId}/${keys.meetingId}/${participant}/${joinedAt}`);
      record = { sessionId, participant, joinedAt, leftAt };
    }
    if (this.open && this.open.region !== region) await this.flush({ closeOpen: true });
    this.open = append(this.open, effect.list, record, now, region);
    if (isFull(this.open, this.options.policy)) await this.flush({ closeOpen: true });
  }

  dueAt(): number | null {
    return queueDueAt(this.open, [...this.queue.values()], this.inFlight, this.options.policy);
  }

  status(): AnalyticsQueueStatus {
    const batches = [...this.queue.values()];
    return {
      ...this.counters,
      openRecords: this.open ? recordCount(this.open) : 0,
      queuedBatches: batches.length,
      queuedSamples: batches.reduce((sum, batch) => sum + batch.samples.length, 0),
    };
  }

  /**
   * Closes the open batch when it is due (or when asked: the meeting emptied), then sends every due batch until
   * none is left or the function fails. One drain at a time; a call during one makes it go round again.
   */
  async flush({ closeOpen = false }: { closeOpen?: boolean } = {}): Promise<void> {
    if (this.open && (closeOpen || closesAt(this.open, this.options.policy) <= this.now())) await this.closeOpenBatch();
    if (this.draining) {
      this.rerun = true;
      return;
    }
    this.draining = true;
    try {
      do {
        this.rerun = false;
        for (;;) {
          const due = dueBatches([...this.queue.values()], this.inFlight, this.now(), this.options.policy);
          if (!due.length) break;
          await Promise.all(due.map((batch) => this.send(batch)));
        }
      } while (this.rerun);
    } finally {
      this.draining = false;
      await this.options.afterSend();
    }
  }

  private async closeOpenBatch(): Promise<void> {
    const keys = this.options.keys();
    if (!this.open || !keys) return;
    const closed = close(this.open, {
      batchId: crypto.randomUUID(),
      now: this.now(),
      counters: this.counters,
    });
    this.open = null;
    this.queue.set(closed.batch.batchId, closed.batch);
    const bounded = enforceBound([...this.queue.values()], this.options.policy);
    for (const batch of bounded.changed) this.queue.set(batch.batchId, batch);
    for (const batch of bounded.emptied) this.queue.delete(batch.batchId);
    // An emptied batch is not sent: the drops it was carrying travel with the next one instead.
    const carried = bounded.emptied.reduce((sum, batch) => sum + batch.droppedSamples, 0);
    this.counters = {
      ...closed.counters,
      unreportedDrops: closed.counters.unreportedDrops + bounded.dropped + carried,
      droppedSamples: closed.counters.droppedSamples + bounded.dropped,
    };
    const puts: Record<string, unknown> = { [roomKeys.analyticsCounters]: this.counters };
    for (const batch of [closed.batch, ...bounded.changed].filter((b) => this.queue.has(b.batchId))) {
      puts[roomKeys.analyticsBatch(batch.batchId)] = batch;
    }
    const { storage } = this.options;
    // Issued without an await between them, so the runtime commits them as one transaction.
    const emptiedKeys = bounded.emptied.map((batch) => roomKeys.analyticsBatch(batch.batchId));
    await Promise.all([storage.put(puts), emptiedKeys.length ? storage.delete(emptiedKeys) : undefined]);
  }

  private async send(batch: QueuedBatch): Promise<void> {
    const keys = this.options.keys();
    if (!keys) return;
    this.inFlight.add(batch.batchId);
    try {
      const event: AnalyticsBatch = {
        batchId: batch.batchId,
        createdAt: batch.createdAt,
        tenantId: keys.tenantId as AnalyticsBatch["tenantId"],
        meetingId: keys.meetingId as AnalyticsBatch["meetingId"],
        region: batch.region,
        droppedSamples: batch.droppedSamples,
        samples: batch.samples,
        events: batch.events,
        sessions: batch.sessions,
      };
      await this.settle(batch, await this.options.ingest.invoke(event), keys);
    } finally {
      this.inFlight.delete(batch.batchId);
    }
  }

  private async settle(batch: QueuedBatch, outcome: IngestOutcome, keys: RoomRecordKeys): Promise<void> {
    const { storage } = this.options;
    const now = this.now();
    if (outcome.kind === "stored") {
      this.queue.delete(batch.batchId);
      this.counters = { ...this.counters, storedBatches: this.counters.storedBatches + 1, lastStoredAt: now };
      if (outcome.result.rejected.length) {
        logEvent("analytics_records_rejected", {
          meetingId: keys.meetingId,
          batchId: batch.batchId,
          rejected: outcome.result.rejected.length,
        });
      }
      await storage.delete(roomKeys.analyticsBatch(batch.batchId));
      await storage.put(roomKeys.analyticsCounters, this.counters);
      return;
    }
    const next =
      outcome.kind === "invalid" ? ({ kind: "dead" } as const) : afterFailure(batch, now, this.counters.lastStoredAt, this.options.policy);
    if (next.kind === "retry") {
      this.queue.set(batch.batchId, next.batch);
      await storage.put(roomKeys.analyticsBatch(batch.batchId), next.batch);
      return;
    }
    await this.setAside(batch, outcome.kind === "invalid" ? outcome.message : outcome.error, keys);
  }

  /** Dead-letters a batch: counted, logged, kept (the last few) under `analytics:dead:`, and out of the queue. */
  private async setAside(batch: QueuedBatch, reason: string, keys: RoomRecordKeys): Promise<void> {
    const { storage } = this.options;
    this.queue.delete(batch.batchId);
    this.counters = { ...this.counters, deadBatches: this.counters.deadBatches + 1 };
    logEvent("analytics_batch_dead", { meetingId: keys.meetingId, batchId: batch.batchId, failures: batch.failures + 1, reason });
    // Listed in key order, which is the order they died in.
    const dead = [...(await storage.list({ prefix: roomKeyPrefixes.analyticsDead })).keys()];
    const deadAt = this.now();
    await storage.put({
      [roomKeys.analyticsDead(deadAt, batch.batchId)]: { ...batch, reason, deadAt },
      [roomKeys.analyticsCounters]: this.counters,
    });
    await storage.delete(roomKeys.analyticsBatch(batch.batchId));
    if (dead.length >= deadBatchesKept) await storage.delete(dead.slice(0, dead.length - deadBatchesKept + 1));
  }

  private remember(sampleId: string): void {
    this.recent.add(sampleId);
    if (this.recent.size > recentSampleIds) this.recent.delete(this.recent.values().next().value as string);
  }
}

/**
 * A stable UUID for a participant's session, from what names it (tenant, meeting, identity, join time): the
 * same leave reported twice (a retried batch, a replayed end) is one session to the function.
 */
async function sessionIdOf(name: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(name)));
  // RFC 9562 version 8 (custom) with the RFC variant bits.
  digest[6] = (digest[6]! & 0x0f) | 0x80;
  digest[8] = (digest[8]! & 0x3f) | 0x80;
  const hex = [...digest.subarray(0, 16)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
