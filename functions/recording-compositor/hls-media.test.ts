import { describe, expect, it } from "vitest";
import {
  hlsTimelineOriginSeconds,
  mediaPlaylist,
  rungMedia,
  type SegmentMedia,
  segmentMediaKey,
  segmentMediaOffsetSeconds,
  segmentMediaPattern,
} from "./hls-media.ts";
import { hlsLadder, masterPlaylist } from "./renditions.ts";

const prefix = "recordings/7b0c8f9e-1a2b-4c3d-8e9f-0a1b2c3d4e5f/0f1e2d3c-4b5a-4968-8776-655443322110/";
const segments = [0, 1].map((index) => ({
  key: `${prefix}segments/0000${index}-0a1b2c3d.mp4`,
  id: `0000${index}-0a1b2c3d`,
  startFrame: index * 1800,
}));

const recordOf = (segmentKey: string, media: [string, number][], codecs = "avc1.42c028"): SegmentMedia => ({
  version: 2,
  segmentKey,
  audio: { key: segmentKey.replace(/\.mp4$/, ".audio.flac"), samples: 2_880_000 },
  rungs: Object.fromEntries(
    hlsLadder.map((rung) => [rung.name, { codecs, media: media.map(([uri, seconds]) => ({ uri, seconds, bytes: 1000 })) }]),
  ),
  fileBytes: { mp4: 1, webm: 1 },
});

describe("HLS media written by the segments", () => {
  it("a segment's media segments are named by its content-addressed id and sit on the HLS timeline at its first frame", () => {
    expect(segmentMediaKey(segments[1]!)).toBe(`${prefix}segments/00001-0a1b2c3d.media.json`);
    expect(segmentMediaPattern(segments[1]!)).toBe("00001-0a1b2c3d-%03d.ts");
    expect(segmentMediaOffsetSeconds(segments[1]!, 30)).toBe(hlsTimelineOriginSeconds + 60);
  });

  it("a rung's playlist lists every segment's media in order, with their durations, and ends (VOD)", () => {
    const records = [
      recordOf(segments[0]!.key, [
        ["00000-0a1b2c3d-000.ts", 6],
        ["00000-0a1b2c3d-001.ts", 6],
      ]),
      recordOf(segments[1]!.key, [["00001-0a1b2c3d-000.ts", 2.5]], "avc1.42c01f"),
    ];
    const { codecs, media } = rungMedia(segments, records, hlsLadder[1]!);
    expect(codecs).toBe("avc1.42c028");
    const playlist = mediaPlaylist(media);
    expect(playlist).toBe(
      [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        "#EXT-X-TARGETDURATION:6",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        "#EXT-X-INDEPENDENT-SEGMENTS",
        "#EXTINF:6.000000,",
        "00000-0a1b2c3d-000.ts",
        "#EXTINF:6.000000,",
        "00000-0a1b2c3d-001.ts",
        "#EXTINF:2.500000,",
        "00001-0a1b2c3d-000.ts",
        "#EXT-X-ENDLIST",
        "",
      ].join("\n"),
    );
  });

  it("a missing record, one of another plan's segment, or one without the rung is refused: the playlist would skip time", () => {
    const ok = recordOf(segments[0]!.key, [["00000-0a1b2c3d-000.ts", 6]]);
    expect(() => rungMedia(segments, [ok], hlsLadder[0]!)).toThrow(/no media record/);
    expect(() => rungMedia(segments, [ok, recordOf(`${prefix}segments/00001-ffffffff.mp4`, [["x.ts", 6]])], hlsLadder[0]!)).toThrow(
      /no media record/,
    );
    const without = { ...ok, segmentKey: segments[1]!.key, rungs: {} };
    expect(() => rungMedia(segments, [ok, without], hlsLadder[0]!)).toThrow(/wrote no 1080p media/);
  });

  it("the master playlist names one audio group, and every variant plays it", () => {
    const master = masterPlaylist(
      [{ rung: hlsLadder[3]!, uri: "240p/index.m3u8", peakBandwidth: 600_000, averageBandwidth: 500_000, codecs: "avc1.42c015,mp4a.40.2" }],
      { groupId: "audio", name: "Meeting audio", uri: "audio/index.m3u8" },
    );
    expect(master.split("\n")).toEqual([
      "#EXTM3U",
      "#EXT-X-VERSION:3",
      "#EXT-X-INDEPENDENT-SEGMENTS",
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="Meeting audio",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="audio/index.m3u8"',
      '#EXT-X-STREAM-INF:BANDWIDTH=600000,AVERAGE-BANDWIDTH=500000,RESOLUTION=426x240,FRAME-RATE=30.000,CODECS="avc1.42c015,mp4a.40.2",AUDIO="audio"',
      "240p/index.m3u8",
      "",
    ]);
  });
});
