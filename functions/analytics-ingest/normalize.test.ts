import { describe, expect, it } from "vitest";
import type { AnalyticsEvent, AnalyticsSample } from "../../protocol/analytics-batch.ts";
import { eventRow, sampleRow, sessionRow } from "./normalize.ts";

const identity = { tenantId: "t", meetingId: "m", region: "local-a", batchId: "b" };
const stamped = { participant: "ada", receivedAt: Date.UTC(2026, 4, 1, 12) };

const sample: AnalyticsSample = {
  ...stamped,
  sampleId: "5C1F0B5E-8F4B-4C4C-9E55-7C0F3C1B2A10",
  windowMs: 5000,
  path: "sfu",
  candidateType: "relay",
  tracks: [
    { direction: "outbound", kind: "audio", rttMs: 80, jitterMs: 4, packetsLost: 2, packets: 250, bitrateKbps: 32 },
    { direction: "inbound", kind: "audio", rttMs: null, jitterMs: 12, packetsLost: 5, packets: 245, bitrateKbps: 30 },
    { direction: "inbound", kind: "video", rttMs: 120, packetsLost: 0, packets: 600, bitrateKbps: 900, framesDropped: 3 },
    { direction: "inbound", kind: "video", packetsLost: 1, packets: 300, framesDropped: 1 },
  ],
  mos: 4.1,
  quality: "excellent",
};

describe("normalising records into rows", () => {
  it("summarises a sample over its tracks: worst rtt and jitter, sums of packets, kbps per direction, frames dropped", () => {
    expect(sampleRow(identity, sample)).toEqual({
      ...identity,
      ...stamped,
      sampleId: "5c1f0b5e-8f4b-4c4c-9e55-7c0f3c1b2a10",
      path: "sfu",
      candidateType: "relay",
      sfuQuality: null,
      mos: 4.1,
      quality: "excellent",
      windowMs: 5000,
      rttMs: 120,
      jitterMs: 12,
      packets: 1395,
      packetsLost: 8,
      inboundKbps: 930,
      outboundKbps: 32,
      framesDropped: 4,
      tracks: 4,
    });
  });

  it("leaves figures no track measured empty, not zero", () => {
    const row = sampleRow(identity, {
      ...sample,
      tracks: [{ direction: "inbound", kind: "audio", packetsLost: 0, packets: 10 }],
      mos: null,
      quality: null,
    });
    expect(row).toMatchObject({
      rttMs: null,
      jitterMs: null,
      inboundKbps: null,
      outboundKbps: null,
      framesDropped: null,
      packets: 10,
      tracks: 1,
    });
  });

  it("totals a join as the user waits for it, an outcome as its elapsed time", () => {
    const base = { ...stamped, eventId: "5c1f0b5e-8f4b-4c4c-9e55-7c0f3c1b2a11", path: "p2p" as const };
    const join: AnalyticsEvent = { ...base, kind: "join_timing", tokenMs: 50, socketMs: 120, firstMediaMs: 400 };
    expect(eventRow(identity, join)).toMatchObject({ kind: "join_timing", tokenMs: 50, socketMs: 120, firstMediaMs: 400, totalMs: 570 });
    expect(eventRow(identity, { ...join, firstMediaMs: null })).toMatchObject({ firstMediaMs: null, totalMs: 170 });
    expect(eventRow(identity, { ...base, kind: "connection_outcome", outcome: "failed_ice", elapsedMs: 9000 })).toMatchObject({
      outcome: "failed_ice",
      cause: null,
      totalMs: 9000,
    });
    expect(eventRow(identity, { ...base, kind: "drop", cause: "sfu_disconnected" })).toMatchObject({
      cause: "sfu_disconnected",
      totalMs: null,
    });
  });

  it("keeps a session's join and leave", () => {
    const session = { sessionId: "5C1F0B5E-8F4B-4C4C-9E55-7C0F3C1B2A12", participant: "ada", joinedAt: 1000, leftAt: 5000 };
    expect(sessionRow(identity, session)).toEqual({ ...identity, ...session, sessionId: session.sessionId.toLowerCase() });
  });
});
