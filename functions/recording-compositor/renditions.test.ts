import { describe, expect, it } from "vitest";
import {
  avcCodecString,
  hlsLadder,
  masterPlaylist,
  outputKeys,
  playlistSegments,
  segmentRenditionKey,
  thumbnailTimes,
  variantBandwidth,
  webmRung,
} from "./renditions.ts";

const tenant = "7b0c8f9e-1a2b-4c3d-8e9f-0a1b2c3d4e5f";
const recording = "0f1e2d3c-4b5a-4968-8776-655443322110";

describe("rendition keys", () => {
  it("every output of a recording lies under its prefix; a segment's renditions sit beside its composite", () => {
    const keys = outputKeys(tenant, recording);
    const prefix = `recordings/${tenant}/${recording}/`;
    for (const key of [keys.mp4, keys.webm, keys.hlsMaster, keys.hlsDir(hlsLadder[2]!), keys.thumbnail(3)])
      expect(key.startsWith(prefix)).toBe(true);
    expect(keys.thumbnail(3)).toBe(`${prefix}thumbnails/03.jpg`);
    const segment = { key: `${prefix}segments/00002-0a1b2c3d.mp4` };
    expect(hlsLadder.map((rung) => segmentRenditionKey(segment, rung))).toEqual([
      `${prefix}segments/00002-0a1b2c3d.mp4`,
      `${prefix}segments/00002-0a1b2c3d-720p.mp4`,
      `${prefix}segments/00002-0a1b2c3d-480p.mp4`,
      `${prefix}segments/00002-0a1b2c3d-240p.mp4`,
    ]);
    expect(segmentRenditionKey(segment, webmRung)).toBe(`${prefix}segments/00002-0a1b2c3d.webm`);
  });

  it("the ladder is the seed's: 1080p, 720p, 480p, 240p, even sizes", () => {
    expect(hlsLadder.map((r) => `${r.width}x${r.height}`)).toEqual(["1920x1080", "1280x720", "854x480", "426x240"]);
    for (const r of [...hlsLadder, webmRung]) expect([r.width % 2, r.height % 2]).toEqual([0, 0]);
  });
});

describe("HLS playlists", () => {
  it("reads a variant's segments, states its peak and average bandwidth, and lists variants in the master playlist", () => {
    const playlist = "#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6.000000,\n00000.ts\n#EXTINF:2.000000,\n00001.ts\n#EXT-X-ENDLIST\n";
    const segments = playlistSegments(playlist);
    expect(segments).toEqual([
      { uri: "00000.ts", seconds: 6 },
      { uri: "00001.ts", seconds: 2 },
    ]);
    const bandwidth = variantBandwidth([
      { seconds: 6, bytes: 600_000 },
      { seconds: 2, bytes: 400_000 },
    ]);
    expect(bandwidth).toEqual({ peak: 1_600_000, average: 1_000_000 });
    const master = masterPlaylist([
      {
        rung: hlsLadder[0]!,
        uri: "1080p/index.m3u8",
        peakBandwidth: 1_600_000,
        averageBandwidth: 1_000_000,
        codecs: "avc1.640028,mp4a.40.2",
      },
    ]);
    expect(master).toContain(
      '#EXT-X-STREAM-INF:BANDWIDTH=1600000,AVERAGE-BANDWIDTH=1000000,RESOLUTION=1920x1080,FRAME-RATE=30.000,CODECS="avc1.640028,mp4a.40.2"\n1080p/index.m3u8',
    );
  });

  it("writes RFC 6381 codec strings from ffprobe's profile and level", () => {
    expect([avcCodecString("High", 40), avcCodecString("Main", 31), avcCodecString("Constrained Baseline", 30)]).toEqual([
      "avc1.640028",
      "avc1.4d001f",
      "avc1.42401e",
    ]);
  });
});

describe("thumbnail times", () => {
  it("spreads up to five stills inside the recording, fewer for a short one, none for an empty one", () => {
    expect(thumbnailTimes(60_000)).toEqual([10_000, 20_000, 30_000, 40_000, 50_000]);
    expect(thumbnailTimes(2_500)).toEqual([833, 1667]);
    expect(thumbnailTimes(0)).toEqual([]);
  });
});
