import { dayMs } from "./demand-profile.ts";
import type { RegionId } from "../../protocol/ids.ts";
import { seededRandom, symmetric } from "./seeded-random.ts";

/**
 * Synthetic regional demand for the replay simulator: each region follows a business day in its own time zone
 * (a morning peak, a lunch dip, an afternoon peak), with day-to-day scale, slow drifting noise and minute
 * jitter from a seeded PRNG, and optionally one flash spike the learned profile can't know about.
 */

export interface RegionDemandSpec {
  regionId: RegionId;
  /** Local time = UTC + this (business hours are local). */
  utcOffsetHours: number;
  /** Connections overnight. */
  baseConnections: number;
  /** Connections added at the busiest minute of a typical day. */
  peakConnections: number;
}

export interface FlashSpike {
  regionId: RegionId;
  /** Milliseconds after the simulated day's midnight UTC. */
  startMs: number;
  rampMs: number;
  holdMs: number;
  decayMs: number;
  extraConnections: number;
}

const gaussian = (hour: number, centre: number, width: number) => {
  const distance = ((((hour - centre) % 24) + 36) % 24) - 12; // on the 24 h circle
  return Math.exp(-0.5 * (distance / width) ** 2);
};
const rawShape = (hour: number) => 0.9 * gaussian(hour, 10.5, 1.5) + gaussian(hour, 15, 1.9) + 0.15 * gaussian(hour, 20.5, 1.5);
const shapeMax = Math.max(...Array.from({ length: 24 * 60 }, (_, minute) => rawShape(minute / 60)));

/** 0..1 over the local hour: 1 at the busiest minute of a business day. */
export function businessDayShape(localHour: number): number {
  return rawShape(localHour) / shapeMax;
}

/** Extra connections of the spike at `at` (ms since the day's midnight UTC). */
export function spikeConnections(spike: FlashSpike, sinceMidnightMs: number): number {
  const t = sinceMidnightMs - spike.startMs;
  if (t < 0) return 0;
  if (t < spike.rampMs) return (spike.extraConnections * t) / spike.rampMs;
  if (t < spike.rampMs + spike.holdMs) return spike.extraConnections;
  const decay = t - spike.rampMs - spike.holdMs;
  return decay < spike.decayMs ? spike.extraConnections * (1 - decay / spike.decayMs) : 0;
}

/**
 * A region's demand, minute by minute, for one day. Stateful only in its noise (an AR(1) drift), and the
 * caller must ask for increasing times; same seed, same series.
 */
export function regionDemandSeries(spec: RegionDemandSpec, seed: number, spike: FlashSpike | null): (at: number) => number {
  const random = seededRandom(seed);
  const dayScale = 1 + 0.06 * symmetric(random);
  let drift = 0;
  return (at) => {
    drift = 0.9 * drift + 0.1 * 0.12 * symmetric(random);
    const sinceMidnight = ((at % dayMs) + dayMs) % dayMs;
    const localHour = (sinceMidnight / 3_600_000 + spec.utcOffsetHours + 24) % 24;
    const typical = spec.baseConnections + spec.peakConnections * businessDayShape(localHour) * dayScale;
    const extra = spike && spike.regionId === spec.regionId ? spikeConnections(spike, sinceMidnight) : 0;
    return Math.max(0, Math.round(typical * (1 + drift + 0.02 * symmetric(random)) + extra));
  };
}
