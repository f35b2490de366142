import { describe, expect, it } from "vitest";
import { dayMs, emptyDemandProfile, forecastDemand, learnDemand, type DemandProfile } from "./demand-profile.ts";

const minute = 60_000;
const bucketMs = 15 * minute;
const rate = 0.5;
const day0 = Date.UTC(2030, 0, 7);
const hour = (h: number, day = 0) => day0 + day * dayMs + h * 60 * minute;

/** One sample a minute over [from, to) of `demand(at)`. */
function learn(profile: DemandProfile, from: number, to: number, demand: (at: number) => number): DemandProfile {
  for (let at = from; at < to; at += minute) profile = learnDemand(profile, at, demand(at), rate);
  return profile;
}

describe("demand profile", () => {
  it("forecasts nothing while no day has finished", () => {
    const profile = learn(emptyDemandProfile(bucketMs), hour(0), hour(23), () => 500);
    expect(forecastDemand(profile, hour(9), hour(10), rate, 1)).toBeNull();
  });

  it("after one day, forecasts each bucket's mean of that day", () => {
    const profile = learn(emptyDemandProfile(bucketMs), hour(0), hour(24), (at) => (at >= hour(14) && at < hour(14.25) ? 3000 : 200));
    expect(forecastDemand(profile, hour(13, 1), hour(13.5, 1), rate, 1)).toEqual({ peak: 200, peakAt: hour(13, 1) });
    expect(forecastDemand(profile, hour(13.5, 1), hour(14.1, 1), rate, 1)).toEqual({ peak: 3000, peakAt: hour(14, 1) });
  });

  it("weights later days exponentially", () => {
    let profile = learn(emptyDemandProfile(bucketMs), hour(0), hour(24), () => 1000);
    profile = learn(profile, hour(0, 1), hour(24, 1), () => 2000);
    // 1000 + 0.5 × (2000 − 1000)
    expect(forecastDemand(profile, hour(9, 2), hour(9, 2), rate, 1)?.peak).toBe(1500);
    expect(forecastDemand(profile, hour(9, 2), hour(9, 2), rate, 3)).toBeNull();
  });

  it("never uses today's unfinished bucket for the bucket it is in", () => {
    let profile = learn(emptyDemandProfile(bucketMs), hour(0), hour(24), () => 1000);
    profile = learn(profile, hour(0, 1), hour(9.1, 1), (at) => (at >= hour(9, 1) ? 9000 : 1000));
    expect(forecastDemand(profile, hour(9.1, 1), hour(9.1, 1), rate, 1)?.peak).toBe(1000);
  });

  it("reads across midnight into tomorrow's buckets, learned today", () => {
    const profile = learn(emptyDemandProfile(bucketMs), hour(0), hour(24), (at) => (at < hour(0.25) ? 4000 : 100));
    expect(forecastDemand(profile, hour(23.8, 1), hour(24.1, 1), rate, 1)).toEqual({ peak: 4000, peakAt: hour(24, 1) });
  });

  it("ignores a replayed or older sample, so a retried batch can't count twice", () => {
    const profile = learnDemand(emptyDemandProfile(bucketMs), hour(1), 100, rate);
    expect(learnDemand(profile, hour(1), 999_999, rate)).toBe(profile);
    expect(learnDemand(profile, hour(0.5), 999_999, rate)).toBe(profile);
  });

  it("never mutates the profile it is given", () => {
    const profile = emptyDemandProfile(bucketMs);
    const copy = structuredClone(profile);
    learnDemand(profile, hour(1), 100, rate);
    expect(profile).toEqual(copy);
  });
});
