import { describe, expect, it } from "vitest";
import type { AnalyticsSample } from "../../protocol/analytics-batch.ts";
import { encodeSamples, sampleColumns, trackRows } from "./sample-parquet.ts";

const identity = {
  tenantId: "7b0c8f9e-1a2b-4c3d-8e9f-0a1b2c3d4e5f",
  meetingId: "0f1e2d3c-4b5a-4968-8776-655443322110",
  region: "local-a",
  batchId: "5c1f0b5e-8f4b-4c4c-9e55-7c0f3c1b2a10",
};

const samples = (n: number): AnalyticsSample[] =>
  Array.from({ length: n }, (_, i) => ({
    sampleId: crypto.randomUUID(),
    participant: `user-${i % 7}`,
    receivedAt: Date.UTC(2026, 4, 1, 12) + i * 37,
    windowMs: 5000,
    path: "sfu",
    candidateType: "srflx",
    tracks: [
      { direction: "outbound", kind: "audio", rttMs: 30 + i, jitterMs: 2, packetsLost: i % 3, packets: 250, bitrateKbps: 32 },
      { direction: "inbound", kind: "audio", jitterMs: 5, packetsLost: 0, packets: 249 },
      {
        direction: "inbound",
        kind: "video",
        rttMs: null,
        packetsLost: 2,
        packets: 700,
        width: 1280,
        height: 720,
        frameRate: 24,
        expectedFrameRate: 30,
      },
    ],
    mos: 4.1 - i / 100,
    quality: "good",
  }));

describe("the samples' Parquet file", () => {
  it("has one row per track, and one for a sample without tracks", () => {
    const three = samples(3);
    const rows = trackRows(identity, [...three, { ...three[0]!, tracks: [] }]);
    expect(rows).toHaveLength(3 * 3 + 1);
    expect(rows.at(-1)).toMatchObject({ trackIndex: null, track: null });
  });

  it("names no column after a Hive key (tenant, date, hour)", () => {
    const names = sampleColumns.map((c) => c.name);
    expect(names).not.toContain("tenant");
    expect(names).not.toContain("date");
    expect(names).not.toContain("hour");
    expect(new Set(names).size).toBe(names.length);
  });

  it("encodes the same samples to the same bytes (a retry rewrites the same object)", () => {
    const fifty = samples(50);
    const a = encodeSamples(identity, fifty);
    const b = encodeSamples(identity, structuredClone(fifty));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(Buffer.from(a.subarray(0, 4)).toString()).toBe("PAR1");
  });
});
