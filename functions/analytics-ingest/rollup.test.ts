import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { EventRow, SampleRow, SessionRow } from "./normalize.ts";
import { hourMs } from "./partition.ts";
import { emptyTotals, rollup, splitSession, type HourlyTotals } from "./rollup.ts";

const identity = { tenantId: "t", meetingId: "m", region: "local-a", batchId: "b" };
const day = Date.UTC(2026, 4, 1);
const time = fc.integer({ min: day, max: day + 3 * 24 * hourMs });
const nullable = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null });

const sampleRow: fc.Arbitrary<SampleRow> = fc
  .record({
    receivedAt: time,
    sampleId: fc.uuid(),
    participant: fc.constantFrom("ada", "bo", "cy"),
    mos: nullable(fc.double({ min: 1, max: 4.5, noNaN: true })),
    rttMs: nullable(fc.double({ min: 0, max: 2000, noNaN: true })),
    jitterMs: nullable(fc.double({ min: 0, max: 500, noNaN: true })),
    packets: fc.nat(100_000),
    packetsLost: fc.nat(10_000),
  })
  .map((s) => ({
    ...identity,
    ...s,
    path: "sfu",
    candidateType: null,
    sfuQuality: null,
    quality: null,
    windowMs: 5000,
    inboundKbps: null,
    outboundKbps: null,
    framesDropped: null,
    tracks: 1,
  }));

const eventRow: fc.Arbitrary<EventRow> = fc
  .record({
    receivedAt: time,
    eventId: fc.uuid(),
    participant: fc.constantFrom("ada", "bo", "dee"),
    kind: fc.constantFrom("join_timing" as const, "connection_outcome" as const, "drop" as const),
    outcome: fc.constantFrom("joined", "failed_ice"),
    totalMs: fc.double({ min: 0, max: 60_000, noNaN: true }),
  })
  .map((e) => ({
    ...identity,
    ...e,
    path: "p2p",
    outcome: e.kind === "connection_outcome" ? e.outcome : null,
    cause: e.kind === "drop" ? "ice_failed" : null,
    tokenMs: null,
    socketMs: null,
    firstMediaMs: null,
    totalMs: e.kind === "drop" ? null : e.totalMs,
  }));

const sessionRow: fc.Arbitrary<SessionRow> = fc
  .record({ leftAt: time, length: fc.nat(30 * hourMs), sessionId: fc.uuid(), participant: fc.constantFrom("ada", "eve") })
  .map(({ length, ...s }) => ({ ...identity, ...s, joinedAt: s.leftAt - length }));

const sampleAt = (i: number): SampleRow => ({
  ...identity,
  receivedAt: day + i,
  sampleId: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
  participant: "ada",
  path: "sfu",
  candidateType: null,
  sfuQuality: null,
  mos: null,
  quality: null,
  windowMs: 5000,
  rttMs: null,
  jitterMs: null,
  packets: 0,
  packetsLost: 0,
  inboundKbps: null,
  outboundKbps: null,
  framesDropped: null,
  tracks: 0,
});
const total = (rows: HourlyTotals[], field: keyof HourlyTotals) => rows.reduce((sum, r) => sum + r[field], 0);
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

describe("hourly rollup", () => {
  it("totals over the hours equal the sums of the rows", () => {
    fc.assert(
      fc.property(
        fc.array(sampleRow, { maxLength: 60 }),
        fc.array(eventRow, { maxLength: 30 }),
        fc.array(sessionRow, { maxLength: 10 }),
        (samples, events, sessions) => {
          const { hourly } = rollup({ samples, events, sessions });
          expect(total(hourly, "samples")).toBe(samples.length);
          expect(total(hourly, "mosSamples")).toBe(samples.filter((s) => s.mos !== null).length);
          expect(total(hourly, "mosSum")).toBeCloseTo(sum(samples.map((s) => s.mos ?? 0)), 6);
          const bands = ["mosBand1", "mosBand2", "mosBand3", "mosBand4", "mosBand5"] as const;
          expect(sum(bands.map((b) => total(hourly, b)))).toBe(total(hourly, "mosSamples"));
          expect(total(hourly, "rttSamples")).toBe(samples.filter((s) => s.rttMs !== null).length);
          expect(total(hourly, "rttSumMs")).toBeCloseTo(sum(samples.map((s) => s.rttMs ?? 0)), 6);
          expect(total(hourly, "jitterSumMs")).toBeCloseTo(sum(samples.map((s) => s.jitterMs ?? 0)), 6);
          expect(total(hourly, "packets")).toBe(sum(samples.map((s) => s.packets)));
          expect(total(hourly, "packetsLost")).toBe(sum(samples.map((s) => s.packetsLost)));
          expect(total(hourly, "connectionAttempts")).toBe(events.filter((e) => e.kind === "connection_outcome").length);
          expect(total(hourly, "connectionsJoined")).toBe(events.filter((e) => e.outcome === "joined").length);
          expect(total(hourly, "joinTimings")).toBe(events.filter((e) => e.kind === "join_timing").length);
          expect(total(hourly, "drops")).toBe(events.filter((e) => e.kind === "drop").length);
          expect(total(hourly, "sessions")).toBe(sessions.length);
          expect(total(hourly, "participantSeconds")).toBeCloseTo(sum(sessions.map((s) => (s.leftAt - s.joinedAt) / 1000)), 3);
          // Each key once, in key order (upserts lock rows in one order).
          const keys = hourly.map((h) => h.hour);
          expect(keys).toEqual([...new Set(keys)].sort((a, b) => a - b));
        },
      ),
    );
  });

  it("a participant is active in every hour they sampled, had an event, or spent time in", () => {
    fc.assert(
      fc.property(
        fc.array(sampleRow, { maxLength: 20 }),
        fc.array(eventRow, { maxLength: 20 }),
        fc.array(sessionRow, { maxLength: 5 }),
        (samples, events, sessions) => {
          const { active } = rollup({ samples, events, sessions });
          const expected = new Set([
            ...samples.map((s) => `${Math.floor(s.receivedAt / hourMs)}|${s.participant}`),
            ...events.map((e) => `${Math.floor(e.receivedAt / hourMs)}|${e.participant}`),
            ...sessions.flatMap((s) => splitSession(s.joinedAt, s.leftAt).map((p) => `${p.hour / hourMs}|${s.participant}`)),
          ]);
          expect(new Set(active.map((a) => `${a.hour / hourMs}|${a.participant}`))).toEqual(expected);
          expect(active).toHaveLength(expected.size);
        },
      ),
    );
  });

  it("charges the room's dropped samples to the hour the batch closed", () => {
    const { hourly } = rollup({ samples: [], events: [], sessions: [], dropped: { ...identity, at: day + 90 * 60_000, count: 7 } });
    expect(hourly).toEqual([{ tenantId: "t", meetingId: "m", region: "local-a", hour: day + hourMs, ...emptyTotals(), samplesDropped: 7 }]);
  });

  it("counts each rated sample in its G.107 satisfaction band", () => {
    const rated = [4.5, 4.3, 4.29, 4.0, 3.6, 3.59, 3.1, 3.09, 1].map((mos, i) => ({ ...sampleAt(i), mos }));
    const [h] = rollup({ samples: rated, events: [], sessions: [] }).hourly;
    expect([h!.mosBand1, h!.mosBand2, h!.mosBand3, h!.mosBand4, h!.mosBand5]).toEqual([2, 2, 1, 2, 2]);
  });
});

describe("splitting a session over hours", () => {
  it("parts add up to the session's length, each within its hour", () => {
    fc.assert(
      fc.property(time, fc.nat(3 * 24 * hourMs), (leftAt, length) => {
        const parts = splitSession(leftAt - length, leftAt);
        expect(sum(parts.map((p) => p.ms))).toBe(length);
        for (const p of parts) {
          expect(p.hour % hourMs).toBe(0);
          expect(p.ms).toBeGreaterThanOrEqual(0);
          expect(p.ms).toBeLessThanOrEqual(hourMs);
        }
        expect(parts[0]!.hour).toBe(Math.floor((leftAt - length) / hourMs) * hourMs);
        expect(parts.at(-1)!.hour).toBe(Math.floor(leftAt / hourMs) * hourMs);
      }),
    );
  });

  it("splits 09:30–11:15 as 30, 60 and 15 minutes", () => {
    const at = (h: number, m: number) => day + h * hourMs + m * 60_000;
    expect(splitSession(at(9, 30), at(11, 15))).toEqual([
      { hour: at(9, 0), ms: 30 * 60_000 },
      { hour: at(10, 0), ms: 60 * 60_000 },
      { hour: at(11, 0), ms: 15 * 60_000 },
    ]);
  });
});
