import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sampleQuality } from "../../protocol/call-quality.ts";
import { QualitySampleFigures } from "../../protocol/quality-telemetry.ts";
import { maxTracks, sampleFigures, type StatsEntry, type StatsSnapshot } from "./quality-sampler.ts";

// Entries shaped like Chromium's getStats() of a loopback call (field names and units as Chromium reports them).
const transport = { id: "T01", type: "transport", selectedCandidatePairId: "CP1" };
const pair = (rttSeconds: number) => ({
  id: "CP1",
  type: "candidate-pair",
  localCandidateId: "IL",
  remoteCandidateId: "IR",
  nominated: true,
  state: "succeeded",
  currentRoundTripTime: rttSeconds,
});
const localCandidate = (candidateType: string) => ({ id: "IL", type: "local-candidate", candidateType, address: "127.0.0.1" });
const camera = { id: "SV2", type: "media-source", kind: "video", framesPerSecond: 20 };

const outboundVideo = (t: number, packetsSent: number, bytesSent: number, framesSent: number) => ({
  id: "OT01V1",
  type: "outbound-rtp",
  kind: "video",
  timestamp: t,
  transportId: "T01",
  remoteId: "RIV1",
  mediaSourceId: "SV2",
  active: true,
  packetsSent,
  bytesSent,
  framesSent,
  framesPerSecond: 20,
  frameWidth: 640,
  frameHeight: 360,
  nackCount: 1,
  pliCount: 0,
});
const remoteInboundVideo = (packetsLost: number) => ({
  id: "RIV1",
  type: "remote-inbound-rtp",
  kind: "video",
  localId: "OT01V1",
  roundTripTime: 0.012,
  jitter: 0.002,
  packetsLost,
});
const inboundAudio = (t: number, packetsReceived: number, packetsLost: number, bytesReceived: number) => ({
  id: "IT01A1",
  type: "inbound-rtp",
  kind: "audio",
  timestamp: t,
  transportId: "T01",
  jitter: 0.001,
  packetsReceived,
  packetsLost,
  bytesReceived,
});
const inboundVideo = (t: number, received: number, decoded: number, framesReceived: number) => ({
  id: "IT01V1",
  type: "inbound-rtp",
  kind: "video",
  timestamp: t,
  transportId: "T01",
  jitter: 0.004,
  packetsReceived: received,
  packetsLost: 0,
  bytesReceived: received * 1000,
  framesDecoded: decoded,
  framesReceived,
  framesDropped: 0,
  framesPerSecond: 20,
  frameWidth: 640,
  frameHeight: 360,
});

const snapshot = (atMs: number, connections: Record<string, StatsEntry[]>): StatsSnapshot => ({ atMs, connections });
const context = { path: "p2p" as const };

describe("quality sampler", () => {
  it("reports what each stream carried in the window, its round trip, jitter, rates and the path's candidate type", () => {
    const before = snapshot(10_000, {
      "peer:bob": [
        transport,
        pair(0.001),
        localCandidate("host"),
        camera,
        outboundVideo(10_000, 1000, 500_000, 200),
        remoteInboundVideo(3),
      ],
      "peer:carol": [transport, pair(0.002), localCandidate("host"), inboundAudio(10_000, 500, 10, 40_000)],
    });
    const after = snapshot(15_000, {
      "peer:bob": [
        transport,
        pair(0.001),
        localCandidate("host"),
        camera,
        outboundVideo(15_000, 1500, 1_125_000, 300),
        remoteInboundVideo(8),
      ],
      "peer:carol": [transport, pair(0.002), localCandidate("host"), inboundAudio(15_000, 750, 12, 60_000)],
    });
    const figures = sampleFigures(before, after, context);
    expect(QualitySampleFigures.parse(figures)).toEqual(figures);
    expect(figures).toMatchObject({ windowMs: 5000, path: "p2p", candidateType: "host" });
    expect(figures.tracks).toEqual([
      {
        direction: "outbound",
        kind: "video",
        rttMs: 12, // the receiver's RTCP report, not the ICE pair's 1 ms
        jitterMs: 2,
        packets: 500,
        packetsLost: 5,
        bitrateKbps: 1000, // 625 kB in 5 s
        width: 640,
        height: 360,
        frameRate: 20,
        expectedFrameRate: 20,
        nackCount: 0,
        pliCount: 0,
      },
      { direction: "inbound", kind: "audio", rttMs: 2, jitterMs: 1, packets: 250, packetsLost: 2, bitrateKbps: 32 },
    ]);
    expect(sampleQuality(figures.tracks)?.quality).toBe("excellent");
  });

  it("judges received video by the frames decoded against the frames that arrived in the same window", () => {
    const before = snapshot(0, { sub: [transport, pair(0.02), localCandidate("srflx"), inboundVideo(0, 1000, 100, 100)] });
    const smooth = sampleFigures(
      before,
      snapshot(5000, { sub: [transport, pair(0.02), localCandidate("srflx"), inboundVideo(5000, 2000, 200, 200)] }),
      context,
    );
    expect(smooth.tracks[0]).toMatchObject({ frameRate: 20, expectedFrameRate: 20, framesDecoded: 100, framesDropped: 0 });
    // Frames arrive but the decoder shows one in five: a stall, whatever the network did.
    const stalled = sampleFigures(
      before,
      snapshot(5000, { sub: [transport, pair(0.02), localCandidate("srflx"), inboundVideo(5000, 2000, 120, 200)] }),
      context,
    );
    expect(stalled.tracks[0]).toMatchObject({ frameRate: 4, expectedFrameRate: 20 });
    expect(sampleQuality(stalled.tracks)!.mos).toBeLessThan(sampleQuality(smooth.tracks)!.mos);
  });

  it("counts a stream whose counters went backwards (recreated by an ICE restart) and a new stream from zero", () => {
    const before = snapshot(0, { "peer:bob": [inboundAudio(0, 10_000, 50, 800_000)] });
    const restarted = sampleFigures(before, snapshot(5000, { "peer:bob": [inboundAudio(5000, 120, 1, 9600)] }), context);
    expect(restarted.tracks[0]).toMatchObject({ packets: 120, packetsLost: 1, bitrateKbps: (9600 * 8) / 5000 });
    const fresh = sampleFigures(snapshot(0, {}), snapshot(5000, { "peer:dan": [inboundAudio(5000, 240, 0, 19_200)] }), context);
    expect(fresh.tracks[0]).toMatchObject({ packets: 240, packetsLost: 0 });
  });

  it("leaves out streams that have not carried a packet yet, and keeps one that stopped", () => {
    const connecting = [transport, pair(0.001), localCandidate("host"), inboundAudio(5000, 0, 0, 0), outboundVideo(5000, 0, 0, 0)];
    expect(sampleFigures(snapshot(0, {}), snapshot(5000, { p: connecting }), context).tracks).toEqual([]);
    const before = snapshot(0, { p: [inboundAudio(0, 500, 0, 40_000)] });
    const stopped = sampleFigures(before, snapshot(5000, { p: [inboundAudio(5000, 500, 0, 40_000)] }), context);
    expect(stopped.tracks).toMatchObject([{ direction: "inbound", packets: 0, packetsLost: 0 }]);
    expect(sampleQuality(stopped.tracks)?.quality).toBe("lost");
  });

  it("never reports negative loss when duplicates lower the cumulative count", () => {
    const before = snapshot(0, { p: [inboundAudio(0, 1000, 20, 80_000)] });
    const figures = sampleFigures(before, snapshot(5000, { p: [inboundAudio(5000, 1250, 18, 100_000)] }), context);
    expect(figures.tracks[0]).toMatchObject({ packets: 250, packetsLost: 0 });
  });

  it("leaves out paused simulcast layers and does not judge a camera that is off by the camera's rate", () => {
    const paused = { ...outboundVideo(5000, 10, 1000, 1), id: "OT01V2", active: false };
    const entries = [transport, pair(0.01), localCandidate("relay"), camera, outboundVideo(5000, 100, 10_000, 5), paused];
    const figures = sampleFigures(snapshot(0, {}), snapshot(5000, { pub: entries }), { path: "sfu", videoMuted: true, sfuQuality: "good" });
    expect(figures.tracks).toHaveLength(1);
    expect(figures.tracks[0]).toMatchObject({ direction: "outbound", expectedFrameRate: null, rttMs: 10 });
    expect(figures).toMatchObject({ path: "sfu", sfuQuality: "good", candidateType: "relay" });
  });

  it("leaves out a layer the encoder holds back while another layer of the camera flows, but judges a camera gone silent", () => {
    const top = (t: number, packets: number) => ({
      ...outboundVideo(t, packets, packets * 100, packets / 10),
      id: "OT01V3",
      frameWidth: 1280,
    });
    const start = [transport, pair(0.01), localCandidate("host"), camera, outboundVideo(0, 100, 10_000, 10), top(0, 500)];
    // The low layer goes on; the top layer sends nothing over the window.
    const held = [transport, pair(0.01), localCandidate("host"), camera, outboundVideo(5000, 600, 60_000, 110), top(5000, 500)];
    const figures = sampleFigures(snapshot(0, { pub: start }), snapshot(5000, { pub: held }), { path: "sfu" });
    expect(figures.tracks.map((track) => [track.direction, track.kind, track.packets])).toEqual([["outbound", "video", 500]]);
    // Both layers silent: that is a frozen camera, and it is judged.
    const silent = [transport, pair(0.01), localCandidate("host"), camera, outboundVideo(5000, 100, 10_000, 10), top(5000, 500)];
    expect(sampleFigures(snapshot(0, { pub: start }), snapshot(5000, { pub: silent }), { path: "sfu" }).tracks).toHaveLength(2);
  });

  it("names the most indirect candidate type when connections differ, and none when no pair is chosen", () => {
    const connections = {
      a: [transport, pair(0.001), localCandidate("host")],
      b: [transport, pair(0.03), localCandidate("relay")],
      c: [transport, pair(0.02), localCandidate("srflx")],
    };
    expect(sampleFigures(snapshot(0, {}), snapshot(5000, connections), context).candidateType).toBe("relay");
    const unchosen = {
      a: [{ ...transport, selectedCandidatePairId: undefined }, { ...pair(0.001), nominated: false }, localCandidate("host")],
    };
    expect(sampleFigures(snapshot(0, {}), snapshot(5000, unchosen), context).candidateType).toBeUndefined();
  });

  it(`keeps the ${maxTracks} streams that carried the most when there are more`, () => {
    const entries = Array.from({ length: 100 }, (_, i) => ({ ...inboundAudio(5000, i * 10, 0, i * 800), id: `IT${i}` }));
    const figures = sampleFigures(snapshot(0, {}), snapshot(5000, { sub: entries }), context);
    expect(figures.tracks).toHaveLength(maxTracks);
    expect(Math.min(...figures.tracks.map((track) => track.packets))).toBe((100 - maxTracks) * 10);
  });

  it("gives every sample a fresh id and a window inside the schema's bounds", () => {
    const [a, b] = [0, 1].map(() => sampleFigures(snapshot(0, {}), snapshot(200, {}), context));
    expect(a!.sampleId).not.toBe(b!.sampleId);
    expect(a!.windowMs).toBe(1000);
    expect(sampleFigures(snapshot(0, {}), snapshot(3_600_000, {}), context).windowMs).toBe(60_000);
  });
});

describe("quality sampler over arbitrary stats", () => {
  const types = [
    "inbound-rtp",
    "outbound-rtp",
    "remote-inbound-rtp",
    "candidate-pair",
    "local-candidate",
    "transport",
    "media-source",
    "codec",
  ];
  const ids = ["a", "b", "c", "T01", "CP1", "IL", "SV2", "RIV1"];
  const anyValue = fc.oneof(
    fc.double(),
    fc.integer({ min: -1e9, max: 1e9 }),
    fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -1, 0, 1e300),
    fc.constantFrom("audio", "video", "host", "relay", "srflx", "prflx", "bogus", "succeeded", ...ids),
    fc.boolean(),
    fc.constant(null),
  );
  const fields = [
    "kind",
    "mediaType",
    "timestamp",
    "transportId",
    "remoteId",
    "localId",
    "mediaSourceId",
    "active",
    "packetsSent",
    "packetsReceived",
    "packetsLost",
    "bytesSent",
    "bytesReceived",
    "jitter",
    "roundTripTime",
    "currentRoundTripTime",
    "framesPerSecond",
    "framesDecoded",
    "framesReceived",
    "framesSent",
    "framesDropped",
    "frameWidth",
    "frameHeight",
    "nackCount",
    "pliCount",
    "selectedCandidatePairId",
    "localCandidateId",
    "candidateType",
    "nominated",
    "selected",
    "state",
  ];
  const entry = fc.record({
    id: fc.constantFrom(...ids),
    type: fc.constantFrom(...types),
    extra: fc.dictionary(fc.constantFrom(...fields), anyValue, { maxKeys: 14 }),
  });
  const reading = fc.dictionary(fc.constantFrom("p1", "p2", "pub", "sub"), fc.array(entry, { maxLength: 30 }), { maxKeys: 4 });
  const toSnapshot = (atMs: number, connections: Record<string, { id: string; type: string; extra: Record<string, unknown> }[]>) =>
    snapshot(
      atMs,
      Object.fromEntries(
        Object.entries(connections).map(([key, list]) => [key, list.map(({ id, type, extra }) => ({ ...extra, id, type }))]),
      ),
    );

  it("always produces figures the protocol accepts", () => {
    fc.assert(
      fc.property(
        reading,
        reading,
        fc.double({ noNaN: false }),
        fc.double({ noNaN: false }),
        fc.boolean(),
        fc.constantFrom("p2p", "sfu"),
        (previous, current, t0, t1, videoMuted, path) => {
          const figures = sampleFigures(toSnapshot(t0, previous), toSnapshot(t1, current), { path, videoMuted });
          expect(() => QualitySampleFigures.parse(figures)).not.toThrow();
        },
      ),
      { numRuns: 500 },
    );
  });

  it("keeps at most 64 tracks from any number of streams", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), (streams) => {
        const entries = Array.from({ length: streams }, (_, i) => ({ ...inboundVideo(1, i + 1, i, i), id: `IT${i}` }));
        expect(sampleFigures(snapshot(0, {}), snapshot(5000, { sub: entries }), context).tracks.length).toBe(Math.min(streams, maxTracks));
      }),
      { numRuns: 20 },
    );
  });
});
