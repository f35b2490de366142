import { describe, expect, it } from "vitest";
import { resolveReference, rewritePlaylist } from "./playlist-rewrite.ts";

describe("rewritePlaylist", () => {
  it("rewrites segments, variant playlists and URI attributes, and keeps tags", () => {
    const master = ["#EXTM3U", "#EXT-X-STREAM-INF:BANDWIDTH=5000000,RESOLUTION=1920x1080", "1080p/index.m3u8", ""].join("\n");
    expect(rewritePlaylist(master, (r) => `https://x/${r}`)).toBe(
      ["#EXTM3U", "#EXT-X-STREAM-INF:BANDWIDTH=5000000,RESOLUTION=1920x1080", "https://x/1080p/index.m3u8", ""].join("\n"),
    );
    const media = ['#EXT-X-MAP:URI="init.mp4"', "#EXTINF:4.0,", "seg-0.m4s", "#EXT-X-ENDLIST"].join("\n");
    expect(rewritePlaylist(media, (r) => `S(${r})`)).toBe(
      ['#EXT-X-MAP:URI="S(init.mp4)"', "#EXTINF:4.0,", "S(seg-0.m4s)", "#EXT-X-ENDLIST"].join("\n"),
    );
  });
});

describe("resolveReference", () => {
  const root = "recordings/t/r/";
  it("resolves relative references against the playlist's folder", () => {
    expect(resolveReference("recordings/t/r/hls/master.m3u8", "720p/index.m3u8", root)).toBe("recordings/t/r/hls/720p/index.m3u8");
    expect(resolveReference("recordings/t/r/hls/720p/index.m3u8", "../240p/seg.ts", root)).toBe("recordings/t/r/hls/240p/seg.ts");
  });
  it("refuses absolute URLs, rooted paths and escapes from the recording", () => {
    expect(resolveReference("recordings/t/r/hls/master.m3u8", "https://evil/x.ts", root)).toBeUndefined();
    expect(resolveReference("recordings/t/r/hls/master.m3u8", "/etc/passwd", root)).toBeUndefined();
    expect(resolveReference("recordings/t/r/hls/master.m3u8", "../../../other/r2/x.ts", root)).toBeUndefined();
  });
});
