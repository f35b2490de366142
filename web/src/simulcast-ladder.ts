/**
 * Which simulcast layers a camera of a given size publishes on the SFU. The ladder names each rung by its
 * short side (so portrait cameras get the same treatment) with the bitrate we allow it; a source publishes
 * itself as the top layer at the bitrate of the highest rung it reaches, plus up to two lower rungs (the
 * most LiveKit sends besides the top): the smallest, for thumbnails, and the one just below the top, for
 * subscribers short of bandwidth. Pure: the SFU link turns a plan into livekit-client `VideoPreset`s.
 */
export interface LadderRung {
  /** Short side in pixels: 240 for 426x240 and for 240x426. */
  shortSide: number;
  maxBitrate: number;
}

export const simulcastLadder: readonly LadderRung[] = [
  { shortSide: 240, maxBitrate: 500_000 },
  { shortSide: 360, maxBitrate: 800_000 },
  { shortSide: 720, maxBitrate: 2_500_000 },
  { shortSide: 1080, maxBitrate: 4_000_000 },
  { shortSide: 2160, maxBitrate: 8_000_000 },
];

export interface VideoLayer {
  width: number;
  height: number;
  maxBitrate: number;
}

export interface SimulcastPlan {
  /** The source itself, at the bitrate of the highest rung it reaches. */
  top: VideoLayer;
  /** Lower layers, smallest first, at most two; empty when the source is no bigger than the lowest rung. */
  lower: VideoLayer[];
}

/**
 * Cameras that are a few lines short of a rung (1920x1072, 1280x712) still count as reaching it: encoders
 * crop to multiples of 16, and treating them as the rung below would halve their bitrate.
 */
const reachTolerance = 0.95;

export function simulcastPlan(source: { width: number; height: number }): SimulcastPlan {
  const width = Math.max(1, Math.round(source.width));
  const height = Math.max(1, Math.round(source.height));
  const short = Math.min(width, height);
  const reached = simulcastLadder.filter((rung) => short >= rung.shortSide * reachTolerance);
  const lowest = simulcastLadder[0]!;
  const topRung = reached.at(-1) ?? lowest;
  const top = { width, height, maxBitrate: topRung.maxBitrate };
  // A rung within the tolerance of the source would be a second copy of the top layer.
  const below = reached.filter((rung) => rung.shortSide < short * reachTolerance && rung !== topRung);
  const picks = [...new Set([below[0], below.at(-1)])].filter((rung): rung is LadderRung => rung !== undefined);
  const scale = (rung: LadderRung): VideoLayer => {
    const ratio = rung.shortSide / short;
    return { width: Math.round(width * ratio), height: Math.round(height * ratio), maxBitrate: rung.maxBitrate };
  };
  return { top, lower: picks.map(scale) };
}

/** "640x360 800 kbps" — for logs and the test hooks. */
export function describeLayer(layer: VideoLayer): string {
  const rate = layer.maxBitrate >= 1_000_000 ? `${layer.maxBitrate / 1_000_000} Mbps` : `${layer.maxBitrate / 1000} kbps`;
  return `${layer.width}x${layer.height} ${rate}`;
}
