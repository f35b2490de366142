import { describe, expect, it } from "vitest";
import { describeLayer, simulcastPlan } from "./simulcast-ladder.ts";

const layers = (width: number, height: number) => {
  const plan = simulcastPlan({ width, height });
  return [...plan.lower, plan.top].map(describeLayer);
};

describe("simulcast ladder", () => {
  it("a 720p camera publishes 240p, 360p and itself at 2.5 Mbps", () => {
    expect(layers(1280, 720)).toEqual(["427x240 500 kbps", "640x360 800 kbps", "1280x720 2.5 Mbps"]);
  });

  it("a 1080p camera keeps the thumbnail layer and the rung just below it", () => {
    expect(layers(1920, 1080)).toEqual(["427x240 500 kbps", "1280x720 2.5 Mbps", "1920x1080 4 Mbps"]);
  });

  it("only a 4K source gets the 8 Mbps rung", () => {
    expect(layers(3840, 2160)).toEqual(["427x240 500 kbps", "1920x1080 4 Mbps", "3840x2160 8 Mbps"]);
    expect(simulcastPlan({ width: 2560, height: 1440 }).top.maxBitrate).toBe(4_000_000);
  });

  it("Chromium's fake cameras (640x360, 640x480) publish two layers: 240p and themselves at 800 kbps", () => {
    expect(layers(640, 360)).toEqual(["427x240 500 kbps", "640x360 800 kbps"]);
    expect(layers(640, 480)).toEqual(["320x240 500 kbps", "640x480 800 kbps"]);
  });

  it("a source at or below the lowest rung publishes one layer, never an upscaled one", () => {
    expect(layers(426, 240)).toEqual(["426x240 500 kbps"]);
    expect(layers(160, 120)).toEqual(["160x120 500 kbps"]);
  });

  it("portrait cameras are measured by their short side", () => {
    expect(layers(720, 1280)).toEqual(["240x427 500 kbps", "360x640 800 kbps", "720x1280 2.5 Mbps"]);
  });

  it("a camera a few lines short of a rung still reaches it, without a near-copy of itself below", () => {
    expect(layers(1920, 1072)).toEqual(["430x240 500 kbps", "1290x720 2.5 Mbps", "1920x1072 4 Mbps"]);
  });

  it("odd or missing sizes never produce a zero-sized layer", () => {
    expect(simulcastPlan({ width: 0, height: 0 })).toEqual({ top: { width: 1, height: 1, maxBitrate: 500_000 }, lower: [] });
  });
});
