import { describe, expect, it } from "vitest";
import { summarizeInbound } from "./inbound-media.ts";

describe("inbound media summary", () => {
  it("sums the inbound RTP of a participant's audio and video receivers and ignores everything else", () => {
    const audio = [
      { type: "inbound-rtp", kind: "audio", bytesReceived: 3_000, packetsReceived: 50 },
      { type: "transport", bytesReceived: 99_999 },
    ];
    const video = [
      {
        type: "inbound-rtp",
        kind: "video",
        bytesReceived: 40_000,
        framesReceived: 60,
        framesDecoded: 58,
        frameWidth: 427,
        frameHeight: 240,
      },
      { type: "codec", kind: "video", mimeType: "video/VP8" },
      { type: "outbound-rtp", kind: "video", bytesSent: 12_345 },
    ];
    expect(summarizeInbound([audio, video])).toEqual({
      audio: { bytesReceived: 3_000, packetsReceived: 50 },
      video: { bytesReceived: 40_000, framesReceived: 60, framesDecoded: 58, frameWidth: 427, frameHeight: 240 },
    });
  });

  it("counts a missing or non-numeric field as zero, so an early report never yields NaN", () => {
    const summary = summarizeInbound([[{ type: "inbound-rtp", kind: "video", bytesReceived: "x" }]]);
    expect(summary.video).toEqual({ bytesReceived: 0, framesReceived: 0, framesDecoded: 0, frameWidth: 0, frameHeight: 0 });
  });
});
