import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ServerFrame, UnsequencedFrame } from "../../../protocol/server-frames.ts";
import {
  appendFrame,
  createFrameLog,
  frameLogFromJSON,
  frameLogToJSON,
  framesSince,
  pruneFrameLog,
  type Audience,
  type FrameLog,
} from "./frame-log.ts";

const t0 = 1_900_000_000_000;
const all: Audience = { kind: "all" };
const only = (...identities: string[]): Audience => ({ kind: "only", identities });
const allExcept = (...identities: string[]): Audience => ({ kind: "all_except", identities });
const locked = (by: string): UnsequencedFrame => ({ type: "meeting_locked", locked: true, by });

/** Appends each [frame, audience] at t0 and returns the final log. */
function build(items: Array<[UnsequencedFrame, Audience]>, limits = { maxEntries: 100, maxAgeMs: 60_000 }): FrameLog {
  return items.reduce((log, [frame, audience]) => appendFrame(log, frame, audience, t0).log, createFrameLog(limits));
}

const seqs = (result: ReturnType<typeof framesSince>) => (result.kind === "replay" ? result.frames.map((f) => f.seq) : result);

describe("sequencing", () => {
  it("numbers frames 1, 2, 3 … and stamps the seq on the returned frame", () => {
    let log = createFrameLog({ maxEntries: 10, maxAgeMs: 1000 });
    const stamped: ServerFrame[] = [];
    for (const by of ["a", "b", "c"]) {
      const appended = appendFrame(log, locked(by), all, t0);
      log = appended.log;
      expect(appended.frame.seq).toBe(appended.seq);
      stamped.push(appended.frame);
    }
    expect(stamped).toEqual([
      { type: "meeting_locked", locked: true, by: "a", seq: 1 },
      { type: "meeting_locked", locked: true, by: "b", seq: 2 },
      { type: "meeting_locked", locked: true, by: "c", seq: 3 },
    ]);
    expect(log.lastSeq).toBe(3);
  });

  it("never reuses a seq after frames are evicted", () => {
    let log = createFrameLog({ maxEntries: 2, maxAgeMs: 1000 });
    const issued: number[] = [];
    for (let i = 0; i < 6; i++) {
      const appended = appendFrame(log, locked("h"), all, t0 + i * 5000);
      log = appended.log;
      issued.push(appended.seq);
    }
    expect(issued).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("leaves the log it was given untouched", () => {
    const before = build([[locked("a"), all]]);
    const snapshot = JSON.stringify(before);
    appendFrame(before, locked("b"), only("x"), t0 + 10);
    expect(JSON.stringify(before)).toBe(snapshot);
  });

  it("continues numbering after startAfterSeq and asks everyone before it for a snapshot", () => {
    const log = appendFrame(createFrameLog({ maxEntries: 10, maxAgeMs: 1000, startAfterSeq: 41 }), locked("h"), all, t0).log;
    expect(log.lastSeq).toBe(42);
    expect(framesSince(log, "alice", 41, t0)).toEqual({
      kind: "replay",
      frames: [{ type: "meeting_locked", locked: true, by: "h", seq: 42 }],
    });
    expect(framesSince(log, "alice", 40, t0)).toEqual({ kind: "snapshot_required", reason: "evicted" });
  });

  it("refuses nonsensical limits", () => {
    expect(() => createFrameLog({ maxEntries: 0, maxAgeMs: 1000 })).toThrow(RangeError);
    expect(() => createFrameLog({ maxEntries: 10, maxAgeMs: 0 })).toThrow(RangeError);
    expect(() => createFrameLog({ maxEntries: 10, maxAgeMs: Infinity })).toThrow(RangeError);
  });
});

describe("audience filtering", () => {
  const log = build([
    [locked("1"), all],
    [locked("2"), only("alice")],
    [locked("3"), only("bob", "carol")],
    [locked("4"), allExcept("alice")],
    [locked("5"), allExcept("bob", "carol")],
    [locked("6"), only()],
  ]);

  it("gives each identity only the frames addressed to it, in order", () => {
    expect(seqs(framesSince(log, "alice", 0, t0))).toEqual([1, 2, 5]);
    expect(seqs(framesSince(log, "bob", 0, t0))).toEqual([1, 3, 4]);
    expect(seqs(framesSince(log, "carol", 0, t0))).toEqual([1, 3, 4]);
    expect(seqs(framesSince(log, "dave", 0, t0))).toEqual([1, 4, 5]);
  });

  it("addresses `all` by rule, not by roster: an identity that joined later still matches earlier `all` frames", () => {
    // The DO only asks for identities that were present at lastSeq; this documents what happens otherwise.
    expect(seqs(framesSince(log, "joined-later", 0, t0))).toEqual([1, 4, 5]);
  });

  it("consumes a seq even for a frame addressed to nobody", () => {
    expect(log.lastSeq).toBe(6);
    expect(seqs(framesSince(log, "alice", 5, t0))).toEqual([]);
  });

  it("is not fooled by the caller mutating the audience array after appending", () => {
    const identities = ["alice"];
    const mutated = appendFrame(createFrameLog({ maxEntries: 5, maxAgeMs: 1000 }), locked("h"), { kind: "only", identities }, t0).log;
    identities.push("mallory");
    expect(seqs(framesSince(mutated, "mallory", 0, t0))).toEqual([]);
  });
});

describe("replay", () => {
  const log = build([1, 2, 3, 4, 5].map((n) => [locked(String(n)), all]));

  it("returns exactly the frames after lastSeq", () => {
    expect(seqs(framesSince(log, "alice", 2, t0))).toEqual([3, 4, 5]);
  });

  it("returns nothing when the client is up to date", () => {
    expect(framesSince(log, "alice", 5, t0)).toEqual({ kind: "replay", frames: [] });
  });

  it("returns every frame from the start for lastSeq 0 while nothing was evicted", () => {
    expect(seqs(framesSince(log, "alice", 0, t0))).toEqual([1, 2, 3, 4, 5]);
  });
});

describe("eviction by count", () => {
  const log = build(
    [1, 2, 3, 4, 5, 6].map((n) => [locked(String(n)), all]),
    { maxEntries: 3, maxAgeMs: 60_000 },
  );

  it("keeps only the newest maxEntries frames", () => {
    expect(log.entries.map((e) => e.frame.seq)).toEqual([4, 5, 6]);
  });

  it("still replays from the last evicted seq, since nothing after it is missing", () => {
    expect(seqs(framesSince(log, "alice", 3, t0))).toEqual([4, 5, 6]);
  });

  it("requires a snapshot once a frame after lastSeq is gone", () => {
    expect(framesSince(log, "alice", 2, t0)).toEqual({ kind: "snapshot_required", reason: "evicted" });
    expect(framesSince(log, "alice", 0, t0)).toEqual({ kind: "snapshot_required", reason: "evicted" });
  });

  it("requires a snapshot even if the evicted frame was not addressed to that identity", () => {
    // The log can't know what an evicted frame's audience was, so it can't promise there is no gap.
    let small = createFrameLog({ maxEntries: 1, maxAgeMs: 60_000 });
    small = appendFrame(small, locked("1"), only("bob"), t0).log;
    small = appendFrame(small, locked("2"), all, t0).log;
    expect(framesSince(small, "alice", 0, t0)).toEqual({ kind: "snapshot_required", reason: "evicted" });
  });
});

describe("eviction by age", () => {
  const limits = { maxEntries: 100, maxAgeMs: 10_000 };
  let log = createFrameLog(limits);
  log = appendFrame(log, locked("1"), all, t0).log;
  log = appendFrame(log, locked("2"), all, t0 + 5_000).log;
  log = appendFrame(log, locked("3"), all, t0 + 9_000).log;

  it("keeps a frame that is exactly maxAgeMs old", () => {
    expect(seqs(framesSince(log, "alice", 0, t0 + 10_000))).toEqual([1, 2, 3]);
  });

  it("requires a snapshot once a frame after lastSeq is older than maxAgeMs, even before the next append", () => {
    expect(framesSince(log, "alice", 0, t0 + 10_001)).toEqual({ kind: "snapshot_required", reason: "evicted" });
    expect(seqs(framesSince(log, "alice", 1, t0 + 10_001))).toEqual([2, 3]);
  });

  it("drops expired frames on the next append", () => {
    const later = appendFrame(log, locked("4"), all, t0 + 15_001).log;
    expect(later.entries.map((e) => e.frame.seq)).toEqual([3, 4]);
    expect(later.evictedThrough).toBe(2);
  });

  it("lets pruning drop expired frames without appending", () => {
    const pruned = pruneFrameLog(log, t0 + 20_000);
    expect(pruned.entries).toEqual([]);
    expect(pruned.lastSeq).toBe(3);
    expect(framesSince(pruned, "alice", 3, t0 + 20_000)).toEqual({ kind: "replay", frames: [] });
  });

  it("does not let a clock stepping back make a new frame expire before older ones", () => {
    const stepped = appendFrame(log, locked("4"), all, t0 - 60_000).log;
    expect(stepped.entries.at(-1)!.at).toBe(t0 + 9_000);
    expect(seqs(framesSince(stepped, "alice", 2, t0 + 19_000))).toEqual([3, 4]);
  });
});

describe("a lying or confused lastSeq", () => {
  const log = build([
    [locked("1"), all],
    [locked("2"), all],
  ]);

  it("requires a snapshot when lastSeq was never issued", () => {
    expect(framesSince(log, "alice", 3, t0)).toEqual({ kind: "snapshot_required", reason: "ahead_of_log" });
    expect(framesSince(log, "alice", Number.MAX_SAFE_INTEGER, t0)).toEqual({ kind: "snapshot_required", reason: "ahead_of_log" });
  });

  it.each([-1, 1.5, Number.NaN, Infinity, -Infinity, 2 ** 60])("requires a snapshot for lastSeq %s", (lastSeq) => {
    expect(framesSince(log, "alice", lastSeq, t0)).toEqual({ kind: "snapshot_required", reason: "invalid_seq" });
  });
});

describe("persisted form", () => {
  const log = (() => {
    let l = createFrameLog({ maxEntries: 3, maxAgeMs: 30_000 });
    l = appendFrame(l, locked("1"), all, t0).log;
    l = appendFrame(l, { type: "signal", from: "bob", payload: { kind: "ice", candidate: { candidate: "c" } } }, only("alice"), t0 + 1).log;
    l = appendFrame(l, { type: "error", code: "rate_limited", message: "slow down", ref: "f1" }, only("bob"), t0 + 2).log;
    l = appendFrame(l, { type: "participant_left", identity: "carol", reason: "left" }, allExcept("carol"), t0 + 3).log;
    return l;
  })();

  it("round-trips through JSON text and replays the same frames afterwards", () => {
    const restored = frameLogFromJSON(JSON.parse(JSON.stringify(frameLogToJSON(log))));
    expect(restored).toEqual({ ok: true, log });
    if (!restored.ok) return;
    for (const identity of ["alice", "bob", "carol"]) {
      expect(framesSince(restored.log, identity, 1, t0 + 5)).toEqual(framesSince(log, identity, 1, t0 + 5));
    }
    expect(appendFrame(restored.log, locked("5"), all, t0 + 6).seq).toBe(5);
  });

  it("round-trips an empty log", () => {
    const empty = createFrameLog({ maxEntries: 3, maxAgeMs: 30_000 });
    expect(frameLogFromJSON(JSON.parse(JSON.stringify(frameLogToJSON(empty))))).toEqual({ ok: true, log: empty });
  });

  const stored = () => JSON.parse(JSON.stringify(frameLogToJSON(log)));
  it.each<[string, (value: ReturnType<typeof stored>) => unknown]>([
    ["not an object", () => "log"],
    ["an unknown version", (v) => ({ ...v, version: 2 })],
    ["a lastSeq that does not match the entries", (v) => ({ ...v, lastSeq: v.lastSeq + 1 })],
    [
      "a gap in the seqs",
      (v) => ({
        ...v,
        entries: v.entries.map((e: { frame: object }, i: number) => (i === 1 ? { ...e, frame: { ...e.frame, seq: 99 } } : e)),
      }),
    ],
    [
      "entries out of time order",
      (v) => ({ ...v, entries: v.entries.map((e: object, i: number) => (i === 0 ? { ...e, at: t0 + 100 } : e)) }),
    ],
    ["an unknown audience kind", (v) => ({ ...v, entries: v.entries.map((e: object) => ({ ...e, audience: { kind: "some" } })) })],
    [
      "a frame that is not a server frame",
      (v) => ({ ...v, entries: v.entries.map((e: { frame: object }) => ({ ...e, frame: { ...e.frame, type: "bogus" } })) }),
    ],
  ])("refuses a stored log with %s", (_, corrupt) => {
    const result = frameLogFromJSON(corrupt(stored()));
    expect(result.ok).toBe(false);
  });
});

describe("replay exactness (property)", () => {
  const identities = ["alice", "bob", "carol", "dave"] as const;
  const audienceArb: fc.Arbitrary<Audience> = fc.oneof(
    fc.constant<Audience>({ kind: "all" }),
    fc.subarray([...identities]).map((ids): Audience => ({ kind: "only", identities: ids })),
    fc.subarray([...identities]).map((ids): Audience => ({ kind: "all_except", identities: ids })),
  );
  const addressed = (audience: Audience, identity: string) =>
    audience.kind === "all"
      ? true
      : audience.kind === "only"
        ? audience.identities.includes(identity)
        : !audience.identities.includes(identity);

  it("returns exactly the frames addressed to an identity after any lastSeq still in the window — no duplicates, no gaps", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(audienceArb, fc.integer({ min: 0, max: 3_000 })), { minLength: 1, maxLength: 80 }),
        fc.integer({ min: 1, max: 30 }),
        fc.constantFrom(...identities),
        fc.nat(),
        (appends, maxEntries, identity, pick) => {
          const limits = { maxEntries, maxAgeMs: 10_000 };
          let log = createFrameLog(limits);
          let now = t0;
          // The model: everything ever sent, with its audience.
          const sent: Array<{ seq: number; audience: Audience; at: number }> = [];
          for (const [audience, gap] of appends) {
            now += gap;
            const appended = appendFrame(log, { type: "pong", ref: `r${sent.length}` }, audience, now);
            log = appended.log;
            sent.push({ seq: appended.seq, audience, at: now });
          }
          expect(sent.map((s) => s.seq)).toEqual(sent.map((_, i) => i + 1));

          // The window per the spec: among the newest maxEntries, those no older than maxAgeMs.
          const held = sent.filter((s, i) => i >= sent.length - maxEntries && now - s.at <= limits.maxAgeMs);
          const oldest = held.length > 0 ? held[0]!.seq - 1 : sent.length;
          const lastSeq = oldest + (pick % (log.lastSeq - oldest + 1));
          const result = framesSince(log, identity, lastSeq, now);
          const expected = sent.filter((s) => s.seq > lastSeq && addressed(s.audience, identity)).map((s) => s.seq);
          expect(result.kind).toBe("replay");
          expect(seqs(result)).toEqual(expected);

          // One step older than the window can't be replayed without a gap.
          if (oldest > 0) expect(framesSince(log, identity, oldest - 1, now)).toEqual({ kind: "snapshot_required", reason: "evicted" });
        },
      ),
      { numRuns: 500 },
    );
  });
});
