import { z } from "zod";

/**
 * A call's quality from its measured network figures: an E-model (ITU-T G.107) reduced to what a browser's
 * `getStats()` gives, with round-trip time and jitter in it (LiveKit's own score leaves both out in production).
 * Pure: the room scores its roster's `connectionQuality` with it and the analytics pipeline stores the same score,
 * so both always agree.
 */
export interface NetworkFigures {
  /** Round-trip time to the peer or SFU, ms; null when not measured yet (taken as a good LAN). */
  rttMs: number | null;
  /** Interarrival jitter, ms; null when not measured. */
  jitterMs: number | null;
  /** Packets lost over the window, 0–1. */
  lossFraction: number;
  /** Video only: frames rendered per second against what was sent, 0–1 (a stall or frame-rate collapse). */
  frameRateRatio?: number | null;
}

/** The roster's quality levels (one definition: the frames use this schema). */
export const ConnectionQuality = z.enum(["excellent", "good", "poor", "lost"]);
export type ConnectionQuality = z.infer<typeof ConnectionQuality>;

/** The E-model's starting rating with default noise and loudness (G.107's R0 − Is). */
const baseRating = 93.2;
/** Opus has no G.113 entry: taken as G.711 with packet-loss concealment (Ie 0, Bpl 25.1), which it beats. */
const audioIe = 0;
const audioBpl = 25.1;
/** Packetisation and look-ahead (20 ms frames) plus the smallest useful jitter buffer. */
const fixedDelayMs = 40;
const minJitterBufferMs = 20;
/** Video rated on the same scale: a frame-rate collapse costs up to this much rating. */
const videoStallPenalty = 40;

/** Mouth-to-ear delay: half the round trip, a jitter buffer of twice the jitter (at least 20 ms), codec delay. */
export function oneWayDelayMs({ rttMs, jitterMs }: Pick<NetworkFigures, "rttMs" | "jitterMs">): number {
  const network = Math.max(0, rttMs ?? 20) / 2;
  const buffer = Math.max(minJitterBufferMs, 2 * Math.max(0, jitterMs ?? 0));
  return network + buffer + fixedDelayMs;
}

/** G.107's delay impairment Id (simplified): linear until 177.3 ms, steeper beyond. */
export function delayImpairment(delayMs: number): number {
  return 0.024 * delayMs + (delayMs > 177.3 ? 0.11 * (delayMs - 177.3) : 0);
}

/** G.107's effective equipment impairment for random loss: Ie,eff = Ie + (95 − Ie) · Ppl / (Ppl + Bpl). */
export function lossImpairment(lossFraction: number, ie = audioIe, bpl = audioBpl): number {
  // An unreadable loss figure counts as total loss: bad input never improves a score.
  const ppl = 100 * (Number.isFinite(lossFraction) ? clamp(lossFraction, 0, 1) : 1);
  return ie + ((95 - ie) * ppl) / (ppl + bpl);
}

/** The transmission rating R, 0–100. */
export function rating(figures: NetworkFigures): number {
  let r = baseRating - delayImpairment(oneWayDelayMs(figures)) - lossImpairment(figures.lossFraction);
  if (figures.frameRateRatio !== undefined && figures.frameRateRatio !== null) {
    r -= videoStallPenalty * (1 - clamp(figures.frameRateRatio, 0, 1));
  }
  return clamp(r, 0, 100);
}

/** G.107's R → MOS mapping, capped at 4.5 (what a narrowband-scaled E-model can claim). */
export function mosOf(r: number): number {
  if (r <= 0) return 1;
  if (r >= 100) return 4.5;
  // The polynomial dips just below 1 for R under about 6.5 (its cubic term outweighs the linear one there).
  return Math.min(4.5, Math.max(1, 1 + 0.035 * r + 7e-6 * r * (r - 60) * (100 - r)));
}

/** MOS → the roster's four levels. `lost` also when nothing arrived at all. */
export function connectionQualityOf(mos: number, packetsReceived = 1): ConnectionQuality {
  if (packetsReceived === 0 || mos < 2.5) return "lost";
  if (mos >= 4.1) return "excellent";
  if (mos >= 3.6) return "good";
  return "poor";
}

/**
 * ITU-T G.107's user-satisfaction classes on the MOS scale, best first. One definition: the analytics rollup counts
 * each rated sample into one (analytics_hourly mos_band_1 … mos_band_5, in this order) and the API names them.
 */
export const mosBands = [
  { band: "very_satisfied", minMos: 4.3 },
  { band: "satisfied", minMos: 4.0 },
  { band: "some_dissatisfied", minMos: 3.6 },
  { band: "many_dissatisfied", minMos: 3.1 },
  { band: "nearly_all_dissatisfied", minMos: 1 },
] as const;
export type MosBand = (typeof mosBands)[number]["band"];

/** The band a MOS falls in, numbered from 1 (very satisfied) to 5 as the rollup's columns are. */
export function mosBandOf(mos: number): 1 | 2 | 3 | 4 | 5 {
  const index = mosBands.findIndex((b) => mos >= b.minMos);
  return (index < 0 ? mosBands.length : index + 1) as 1 | 2 | 3 | 4 | 5;
}

/** The figures of one track in a client's quality sample (protocol/client-frames.ts `quality_sample`). */
export interface TrackFigures {
  direction: "inbound" | "outbound";
  kind: "audio" | "video";
  rttMs?: number | null | undefined;
  jitterMs?: number | null | undefined;
  packetsLost: number;
  /** Received (inbound) or sent (outbound) in the window. */
  packets: number;
  frameRate?: number | null | undefined;
  /** What the sender aimed for (video): the frame rate is judged against it. */
  expectedFrameRate?: number | null | undefined;
}

/**
 * A participant's quality from one sample: the worst of its tracks (what they hear and see is as good as the worst
 * stream), each rated by the E-model; `lost` when a sample has tracks but none carried a packet.
 */
export function sampleQuality(tracks: readonly TrackFigures[]): { mos: number; quality: ConnectionQuality } | null {
  if (tracks.length === 0) return null;
  let worst = 4.5;
  let packets = 0;
  for (const track of tracks) {
    packets += track.packets;
    const total = track.packets + track.packetsLost;
    const frameRateRatio =
      track.kind === "video" && track.frameRate != null && track.expectedFrameRate ? track.frameRate / track.expectedFrameRate : null;
    const mos = mosOf(
      rating({
        rttMs: track.rttMs ?? null,
        jitterMs: track.jitterMs ?? null,
        lossFraction: total > 0 ? track.packetsLost / total : 0,
        frameRateRatio,
      }),
    );
    worst = Math.min(worst, mos);
  }
  return { mos: worst, quality: connectionQualityOf(worst, packets) };
}

function clamp(value: number, low: number, high: number): number {
  return Number.isFinite(value) ? Math.min(high, Math.max(low, value)) : low;
}
