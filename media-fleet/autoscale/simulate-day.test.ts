import { describe, expect, it } from "vitest";
import type { ScalingDecision } from "./autoscale-policy.ts";
import { simulateDay, summariseSimulation } from "./simulate-day.ts";

const minute = 60_000;
const result = simulateDay();
const summary = summariseSimulation(result);
const region = (id: string) => result.regions.find((r) => r.regionId === id)!;
const spike = result.flashSpike!;
const spikeStart = result.dayStart + spike.startMs;
const spikeEnd = spikeStart + spike.rampMs + spike.holdMs + spike.decayMs;
const isPredictive = (d: ScalingDecision) => d.reasons.some((r) => r.startsWith("predictive:"));

describe("simulated day", () => {
  it("records one point a minute for 24 h in every region", () => {
    expect(result.regions.map((r) => r.regionId)).toEqual(["us-east", "eu-west", "ap-south"]);
    for (const timeline of result.regions) {
      expect(timeline.points).toHaveLength(24 * 60);
      expect(timeline.points[0]!.at).toBe(result.dayStart);
      expect(timeline.points.every((p) => p.nodes.length === p.readyNodes)).toBe(true);
    }
  });

  it("is the same for the same seed, and differs for another", () => {
    expect(summariseSimulation(simulateDay())).toEqual(summary);
    expect(summariseSimulation(simulateDay({ seed: 5 }))).not.toEqual(summary);
  });

  it("meets every regular business-day peak with capacity added ahead of it by the predictive rule", () => {
    for (const timeline of result.regions) {
      const regular = timeline.points.filter(
        (p) => p.at < spikeStart || p.at >= spikeEnd + 15 * minute || timeline.regionId !== spike.regionId,
      );
      expect(regular.filter((p) => p.meanCpu > 0.7)).toEqual([]);
      const outs = timeline.decisions.filter((d) => d.action === "scale_out" && (d.at < spikeStart || d.at > spikeEnd));
      expect(outs.length).toBeGreaterThan(3);
      expect(outs.every(isPredictive)).toBe(true);
      const peak = timeline.points.reduce((best, p) => (p.demand > best.demand ? p : best));
      expect(outs[0]!.at).toBeLessThan(peak.at - 60 * minute);
    }
  });

  it("answers the unforeseen flash spike at once, as an emergency", () => {
    const answer = region(spike.regionId).decisions.find((d) => d.at >= spikeStart)!;
    expect(answer.action).toBe("scale_out");
    expect(answer.at - spikeStart).toBeLessThanOrEqual(3 * minute);
    expect(answer.reasons).toContain("emergency: acted without waiting for the sustain window");
    const hot = region(spike.regionId).points.filter((p) => p.meanCpu > 0.7);
    expect(hot.every((p) => p.at >= spikeStart && p.at < spikeStart + 15 * minute)).toBe(true);
  });

  it("never reverses a scale-out within the scale-in cooldown, and changes direction only with the day's shape", () => {
    for (const { decisions } of result.regions) {
      decisions.forEach((d, i) => {
        const previous = decisions[i - 1];
        if (previous?.action === "scale_out" && d.action === "scale_in")
          expect(d.at - previous.at).toBeGreaterThanOrEqual(result.config.cooldown.scaleInMs);
      });
      // Up in the morning, down in the evening; ap-south adds up and down again for its spike.
      expect(decisions.filter((d, i) => i > 0 && d.action !== decisions[i - 1]!.action).length).toBeLessThanOrEqual(3);
    }
  });

  it("costs well under a fixed fleet sized for the peak", () => {
    for (const row of summary) expect(row.nodeMinutes).toBeLessThan(0.7 * row.staticNodeMinutes);
  });

  it("keeps every region within its node bounds", () => {
    const { min, max } = result.config.nodes;
    for (const timeline of result.regions) {
      for (const p of timeline.points) {
        expect(p.readyNodes + p.pendingNodes).toBeGreaterThanOrEqual(min);
        expect(p.readyNodes + p.pendingNodes).toBeLessThanOrEqual(max);
      }
    }
  });
});
