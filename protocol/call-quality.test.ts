import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  connectionQualityOf,
  delayImpairment,
  lossImpairment,
  mosBandOf,
  mosOf,
  oneWayDelayMs,
  rating,
  sampleQuality,
  type NetworkFigures,
} from "./call-quality.ts";

const figures = fc.record({
  rttMs: fc.option(fc.double({ min: 0, max: 2000, noNaN: true }), { nil: null }),
  jitterMs: fc.option(fc.double({ min: 0, max: 500, noNaN: true }), { nil: null }),
  lossFraction: fc.double({ min: 0, max: 1, noNaN: true }),
});

const mos = (f: NetworkFigures) => mosOf(rating(f));

describe("call quality (E-model)", () => {
  it("rates a clean LAN call excellent and a terrible one lost", () => {
    const clean = mos({ rttMs: 20, jitterMs: 2, lossFraction: 0 });
    expect(clean).toBeGreaterThan(4.3);
    expect(connectionQualityOf(clean)).toBe("excellent");
    expect(connectionQualityOf(mos({ rttMs: 900, jitterMs: 120, lossFraction: 0.3 }))).toBe("lost");
    expect(connectionQualityOf(clean, 0)).toBe("lost");
  });

  it("counts round-trip time and jitter, not only loss", () => {
    const base = { jitterMs: 5, lossFraction: 0.01 };
    expect(mos({ ...base, rttMs: 600 })).toBeLessThan(mos({ ...base, rttMs: 50 }) - 0.5);
    expect(mos({ rttMs: 50, jitterMs: 150, lossFraction: 0.01 })).toBeLessThan(mos({ rttMs: 50, jitterMs: 5, lossFraction: 0.01 }));
  });

  it("matches G.107's own figures at its reference points", () => {
    expect(delayImpairment(100)).toBeCloseTo(2.4, 5);
    expect(delayImpairment(277.3)).toBeCloseTo(0.024 * 277.3 + 11, 5);
    expect(lossImpairment(0)).toBe(0);
    expect(lossImpairment(0.05)).toBeCloseTo((95 * 5) / (5 + 25.1), 5);
    expect(mosOf(93.2)).toBeCloseTo(4.41, 2);
    expect(mosOf(50)).toBeCloseTo(2.58, 2);
    // The polynomial itself gives 0.9968 at R = 0.5: the scale's floor holds (a property run found it).
    expect(mosOf(0.5)).toBe(1);
    expect(oneWayDelayMs({ rttMs: 100, jitterMs: 30 })).toBe(50 + 60 + 40);
  });

  it("never rates worse figures higher, and stays on the 1–4.5 scale", () => {
    fc.assert(
      fc.property(figures, fc.double({ min: 0, max: 500, noNaN: true }), (f, extra) => {
        const m = mos(f);
        expect(m).toBeGreaterThanOrEqual(1);
        expect(m).toBeLessThanOrEqual(4.5);
        expect(mos({ ...f, rttMs: (f.rttMs ?? 20) + extra })).toBeLessThanOrEqual(m + 1e-9);
        expect(mos({ ...f, jitterMs: (f.jitterMs ?? 0) + extra })).toBeLessThanOrEqual(m + 1e-9);
        expect(mos({ ...f, lossFraction: Math.min(1, f.lossFraction + extra / 1000) })).toBeLessThanOrEqual(m + 1e-9);
      }),
    );
  });

  it("a video stall lowers the score; garbage figures do not raise it", () => {
    const smooth = mos({ rttMs: 40, jitterMs: 5, lossFraction: 0, frameRateRatio: 1 });
    expect(mos({ rttMs: 40, jitterMs: 5, lossFraction: 0, frameRateRatio: 0.2 })).toBeLessThan(smooth - 1);
    expect(mos({ rttMs: Number.NaN, jitterMs: 5, lossFraction: 0 })).toBe(1);
    expect(mos({ rttMs: 40, jitterMs: 5, lossFraction: Number.NaN })).toBeLessThan(2);
  });

  it("a sample is as good as its worst track, and lost when nothing arrived", () => {
    const good = { direction: "inbound" as const, kind: "audio" as const, rttMs: 30, jitterMs: 3, packetsLost: 0, packets: 250 };
    expect(sampleQuality([good])?.quality).toBe("excellent");
    const lossy = { ...good, kind: "video" as const, packetsLost: 60, packets: 240 };
    expect(sampleQuality([good, lossy])?.mos).toBe(sampleQuality([lossy])?.mos);
    expect(sampleQuality([{ ...good, packets: 0 }])?.quality).toBe("lost");
    expect(sampleQuality([])).toBeNull();
    const stalled = { ...good, kind: "video" as const, frameRate: 3, expectedFrameRate: 30 };
    expect(sampleQuality([stalled])!.mos).toBeLessThan(sampleQuality([good])!.mos);
  });

  it("bands MOS in G.107's satisfaction classes, each class's lower bound inside it", () => {
    expect([4.5, 4.3, 4.29, 4.0, 3.6, 3.59, 3.1, 3.09, 1].map(mosBandOf)).toEqual([1, 1, 2, 2, 3, 4, 4, 5, 5]);
  });
});
