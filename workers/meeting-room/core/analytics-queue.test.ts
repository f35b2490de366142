import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  afterFailure,
  append,
  close,
  defaultAnalyticsQueuePolicy as policy,
  dueBatches,
  emptyCounters,
  enforceBound,
  isFull,
  queueDueAt,
  type QueuedBatch,
} from "./analytics-queue.ts";

const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;

function queued(n: number, samples: number, extra: Partial<QueuedBatch> = {}): QueuedBatch {
  return {
    batchId: uuid(n),
    createdAt: n * 1000,
    region: "eu",
    droppedSamples: 0,
    samples: Array.from({ length: samples }, (_, i) => ({ n, i })),
    events: [{ n }],
    sessions: [],
    failures: 0,
    firstFailedAt: null,
    nextAttemptAt: n * 1000,
    ...extra,
  };
}

describe("the open batch", () => {
  it("fills by record count across the three lists and closes after its age", () => {
    let open = append(null, "samples", 1, 5_000, "eu");
    for (let i = 1; i < policy.maxBatchRecords - 1; i++) open = append(open, "samples", i, 5_000 + i, "eu");
    expect(isFull(open, policy)).toBe(false);
    open = append(open, "sessions", "s", 9_000, "eu");
    expect(isFull(open, policy)).toBe(true);
    expect(queueDueAt(open, [], new Set(), policy)).toBe(5_000 + policy.maxBatchAgeMs);
  });

  it("also closes by size, so a batch of samples with many tracks stays one storable value", () => {
    const wide = {
      tracks: Array.from({ length: 64 }, () => ({ direction: "inbound", kind: "video", packets: 1_000_000, packetsLost: 0 })),
    };
    let open = append(null, "samples", wide, 0, "eu");
    let count = 1;
    while (!isFull(open, policy)) {
      open = append(open, "samples", wide, 0, "eu");
      count++;
    }
    expect(count).toBeLessThan(policy.maxBatchRecords);
    expect(JSON.stringify(open.samples).length).toBeGreaterThanOrEqual(policy.maxBatchBytes);
    expect(JSON.stringify(open.samples).length).toBeLessThan(policy.maxBatchBytes + 64 * 1024);
  });

  it("carries the drops not yet reported into the batch it closes, once", () => {
    const open = append(null, "events", { e: 1 }, 0, "eu");
    const closed = close(open, {
      batchId: uuid(1),
      now: 10,
      counters: { ...emptyCounters, unreportedDrops: 7, droppedSamples: 9 },
    });
    expect(closed.batch).toMatchObject({ region: "eu", droppedSamples: 7, events: [{ e: 1 }], nextAttemptAt: 10, failures: 0 });
    expect(closed.counters).toMatchObject({ unreportedDrops: 0, droppedSamples: 9 });
  });
});

describe("the bound on queued samples", () => {
  it("empties the oldest batches' samples first and keeps every event and session", () => {
    const queue = [queued(3, 100), queued(1, 100), queued(2, 100)];
    const { changed, emptied, dropped } = enforceBound(queue, { ...policy, maxQueuedSamples: 150 });
    expect(dropped).toBe(150);
    expect(emptied).toEqual([]);
    expect(changed.map((b) => [b.batchId, b.samples.length])).toEqual([
      [uuid(1), 0],
      [uuid(2), 50],
    ]);
    // The newest samples of a cut batch stay.
    expect(changed[1]!.samples[0]).toEqual({ n: 2, i: 50 });
    expect(changed.every((b) => b.events.length === 1)).toBe(true);
  });

  it("gives up a batch left with no record at all, with the drops it carried", () => {
    const samplesOnly = { ...queued(1, 100), events: [], droppedSamples: 30 };
    const { changed, emptied, dropped } = enforceBound([samplesOnly, queued(2, 100)], { ...policy, maxQueuedSamples: 100 });
    expect(dropped).toBe(100);
    expect(changed).toEqual([]);
    expect(emptied.map((b) => [b.batchId, b.droppedSamples])).toEqual([[uuid(1), 30]]);
  });

  it("keeps at most the bound, and drops exactly what exceeded it", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(300), { maxLength: 20 }), fc.integer({ min: 0, max: 2000 }), (sizes, bound) => {
        const queue = sizes.map((size, i) => queued(i + 1, size));
        const total = sizes.reduce((a, b) => a + b, 0);
        const { changed, emptied, dropped } = enforceBound(queue, { ...policy, maxQueuedSamples: bound });
        const after = new Map(queue.map((b) => [b.batchId, b]));
        for (const b of changed) after.set(b.batchId, b);
        for (const b of emptied) after.delete(b.batchId);
        const kept = [...after.values()].reduce((sum, b) => sum + b.samples.length, 0);
        expect(dropped).toBe(Math.max(0, total - bound));
        expect(kept).toBe(total - dropped);
      }),
    );
  });
});

describe("sending", () => {
  it("sends due batches oldest first, never more than the concurrency, never one already in flight", () => {
    const queue = [queued(3, 1), queued(1, 1), queued(2, 1), queued(9, 1)];
    expect(dueBatches(queue, new Set(), 5_000, policy).map((b) => b.batchId)).toEqual([uuid(1), uuid(2)]);
    expect(dueBatches(queue, new Set([uuid(1)]), 5_000, policy).map((b) => b.batchId)).toEqual([uuid(2)]);
    expect(dueBatches(queue, new Set([uuid(1), uuid(2)]), 5_000, policy)).toEqual([]);
  });

  it("backs off exponentially up to the cap and never sets a batch aside during an outage", () => {
    let batch = queued(1, 1);
    const delays: number[] = [];
    for (let i = 0; i < 12; i++) {
      const next = afterFailure(batch, 100_000 + i, null, policy);
      if (next.kind !== "retry") throw new Error("set aside during an outage");
      delays.push(next.batch.nextAttemptAt - (100_000 + i));
      batch = next.batch;
    }
    expect(delays.slice(0, 4)).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(Math.max(...delays)).toBe(policy.retryMaxMs);
    expect(batch.firstFailedAt).toBe(100_000);
  });

  it("sets aside a batch that keeps failing while the function stores others", () => {
    const failing = queued(1, 1, { failures: policy.poisonAfterFailures - 1, firstFailedAt: 50_000 });
    expect(afterFailure(failing, 90_000, 60_000, policy)).toEqual({ kind: "dead" });
    // Stored before this batch first failed: no evidence against the batch itself.
    expect(afterFailure(failing, 90_000, 40_000, policy).kind).toBe("retry");
  });

  it("is due at the earliest retry not in flight, or when the open batch closes", () => {
    const queue = [queued(1, 1, { nextAttemptAt: 8_000 }), queued(2, 1, { nextAttemptAt: 3_000 })];
    expect(queueDueAt(null, queue, new Set(), policy)).toBe(3_000);
    expect(queueDueAt(null, queue, new Set([uuid(2)]), policy)).toBe(8_000);
    expect(queueDueAt(append(null, "samples", 1, 0, "eu"), queue, new Set([uuid(1), uuid(2)]), policy)).toBe(policy.maxBatchAgeMs);
    expect(queueDueAt(null, [], new Set(), policy)).toBeNull();
  });
});
