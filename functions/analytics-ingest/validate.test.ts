import { describe, expect, it } from "vitest";
import { maxBatchRecords } from "../../protocol/analytics-batch.ts";
import { recordWindow, validateBatch } from "./validate.ts";

const createdAt = Date.UTC(2026, 4, 1, 12);
const stamped = () => ({ participant: "ada", receivedAt: createdAt - 1000 });
const track = { direction: "inbound", kind: "audio", rttMs: 40, jitterMs: 3, packetsLost: 1, packets: 250 } as const;
const sample = () => ({
  ...stamped(),
  sampleId: crypto.randomUUID(),
  windowMs: 5000,
  path: "p2p",
  tracks: [track],
  mos: 4.2,
  quality: "excellent",
});
const events = () => [
  { ...stamped(), eventId: crypto.randomUUID(), kind: "join_timing", path: "sfu", tokenMs: 40, socketMs: 90, firstMediaMs: null },
  { ...stamped(), eventId: crypto.randomUUID(), kind: "connection_outcome", path: "sfu", outcome: "joined", elapsedMs: 800 },
  { ...stamped(), eventId: crypto.randomUUID(), kind: "drop", path: "p2p", cause: "ice_failed" },
];
const session = () => ({ sessionId: crypto.randomUUID(), participant: "bo", joinedAt: createdAt - 3_600_000, leftAt: createdAt - 5 });
const batch = () => ({
  batchId: crypto.randomUUID(),
  createdAt,
  tenantId: crypto.randomUUID(),
  meetingId: crypto.randomUUID(),
  region: "local-a",
  droppedSamples: 0,
  samples: [sample(), sample(), sample(), sample()],
  events: events(),
  sessions: [session(), session()],
});

describe("validating a batch", () => {
  it("passes a well-formed batch whole, each record with its index", () => {
    const v = validateBatch(batch());
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    expect(v.batch.samples.map((s) => s.index)).toEqual([0, 1, 2, 3]);
    expect(v.batch.events).toHaveLength(3);
    expect(v.batch.sessions).toHaveLength(2);
    expect(v.batch.rejected).toEqual([]);
  });

  it("refuses garbage as invalid_event, with readable issues", () => {
    for (const garbage of [null, 42, "batch", [], { warmup: true }, { ...batch(), batchId: "nope" }, { ...batch(), samples: "all" }]) {
      const v = validateBatch(garbage);
      expect(v.ok).toBe(false);
      if (v.ok) continue;
      expect(v.error.code).toBe("invalid_event");
      expect(v.error.issues.length).toBeGreaterThan(0);
    }
    const wrong = validateBatch({ ...batch(), createdAt: "yesterday", droppedSamples: -1 });
    expect(wrong.ok === false && wrong.error.issues).toEqual([
      expect.stringMatching(/^createdAt: /),
      expect.stringMatching(/^droppedSamples: /),
    ]);
  });

  it("refuses more records than a batch may hold, and bounds the issues it lists", () => {
    const tooMany = { ...batch(), events: Array.from({ length: maxBatchRecords + 1 }, () => ({})) };
    expect(validateBatch(tooMany)).toMatchObject({
      ok: false,
      error: { code: "invalid_event", issues: [expect.stringMatching(/^events: /)] },
    });
    const noisy = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`x${i}`, 1]));
    const v = validateBatch({
      ...noisy,
      samples: 1,
      events: 1,
      sessions: 1,
      batchId: 1,
      createdAt: -1,
      tenantId: 0,
      meetingId: 0,
      region: "",
    });
    expect(v.ok === false && v.error.issues.length).toBeLessThanOrEqual(21);
  });

  it("rejects bad records by list and index and keeps the rest", () => {
    const b = batch();
    const samples: unknown[] = [...b.samples];
    samples[1] = { ...b.samples[1], tracks: "none" };
    samples[3] = { ...b.samples[3], participant: "a\u0000b" };
    const events: unknown[] = [...b.events];
    events[0] = { ...b.events[0], kind: "teleport" };
    const sessions: unknown[] = [...b.sessions];
    sessions[1] = { ...b.sessions[1], joinedAt: b.sessions[1]!.leftAt + 1 };
    const v = validateBatch({ ...b, samples, events, sessions });
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    expect(v.batch.samples.map((s) => s.index)).toEqual([0, 2]);
    expect(v.batch.events.map((e) => e.index)).toEqual([1, 2]);
    expect(v.batch.sessions.map((s) => s.index)).toEqual([0]);
    expect(v.batch.rejected).toEqual([
      { list: "samples", index: 1, issues: [expect.stringMatching(/^tracks: /)] },
      { list: "samples", index: 3, issues: [expect.stringMatching(/^participant: must be well-formed text/)] },
      { list: "events", index: 0, issues: [expect.stringMatching(/^kind: /)] },
      { list: "sessions", index: 1, issues: ["leftAt: leftAt must not be before joinedAt"] },
    ]);
  });

  it("rejects records stamped far from their batch's close, and sessions too long to split", () => {
    const b = batch();
    const samples = [
      { ...b.samples[0], receivedAt: createdAt + recordWindow.maxAheadMs + 1 },
      { ...b.samples[1], receivedAt: createdAt - recordWindow.maxAgeMs - 1 },
      { ...b.samples[2], receivedAt: createdAt - recordWindow.maxAgeMs },
    ];
    const sessions = [{ ...b.sessions[0], joinedAt: 0, leftAt: createdAt }];
    const v = validateBatch({ ...b, samples, sessions, events: [] });
    expect(v.ok && v.batch.rejected).toEqual([
      { list: "samples", index: 0, issues: ["receivedAt: after the batch's createdAt"] },
      { list: "samples", index: 1, issues: ["receivedAt: more than 24 h before the batch's createdAt"] },
      { list: "sessions", index: 0, issues: ["joinedAt: the session is longer than 168 h"] },
    ]);
  });
});
