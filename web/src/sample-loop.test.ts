import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { QualitySampleFigures } from "../../protocol/quality-telemetry.ts";
import type { StatsEntry } from "./quality-sampler.ts";
import { SampleLoop, type SampleReading } from "./sample-loop.ts";

const audio = (packetsReceived: number): StatsEntry[] => [
  { id: "IA", type: "inbound-rtp", kind: "audio", packetsReceived, packetsLost: 0, bytesReceived: packetsReceived * 80 },
];

describe("sample loop", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("samples every interval over the window since the previous reading; a gap in the call starts a new window", async () => {
    const readings: (SampleReading | null)[] = [
      { connections: { p: audio(250) }, context: { path: "p2p" } },
      { connections: { p: audio(500) }, context: { path: "p2p" } },
      null,
      { connections: {}, context: { path: "p2p" } },
      { connections: { p: audio(900) }, context: { path: "sfu" } },
    ];
    const samples: QualitySampleFigures[] = [];
    const loop = new SampleLoop({
      intervalMs: 5000,
      read: async () => readings.shift() ?? null,
      emit: (figures) => samples.push(figures),
      now: () => Date.now(),
    });
    loop.start();
    await vi.advanceTimersByTimeAsync(25_000);
    loop.stop();
    // The empty reading sends nothing; the last one counts from zero after the gap reset the window.
    expect(samples.map((s) => [s.path, s.windowMs, s.tracks[0]?.packets])).toEqual([
      ["p2p", 5000, 250],
      ["p2p", 5000, 250],
      ["sfu", 5000, 900],
    ]);
  });

  it("never samples more often than once a second", async () => {
    let reads = 0;
    const loop = new SampleLoop({
      intervalMs: 10,
      read: async () => {
        reads++;
        return null;
      },
      emit: () => undefined,
    });
    loop.start();
    await vi.advanceTimersByTimeAsync(3000);
    loop.stop();
    expect(reads).toBe(3);
  });
});
