import { emptyDemandProfile, type DemandProfile } from "./demand-profile.ts";
import type { RegionId } from "../../protocol/ids.ts";

/**
 * What the policy remembers between evaluations, per region: when it last acted, how long a signal has held,
 * and the learned demand profile. Plain JSON-safe data (no Dates, Maps or Infinity), so a Durable Object or a
 * cron job can store it as is and a replay from the same state gives the same decisions.
 */

/** Consecutive evaluations one direction has been wanted, and the smallest change wanted throughout. */
export interface Streak {
  since: number;
  evaluations: number;
  /** The change the whole window agreed on: a one-sample spike can't size the action. */
  nodes: number;
}

export interface RegionAutoscaleState {
  lastScaleOutAt: number | null;
  lastScaleInAt: number | null;
  outStreak: Streak | null;
  inStreak: Streak | null;
  profile: DemandProfile;
}

export interface AutoscaleState {
  /** Evaluations at or before this time are ignored, so a retried or reordered tick can't act twice. */
  lastEvaluatedAt: number | null;
  regions: Partial<Record<RegionId, RegionAutoscaleState>>;
}

export const initialAutoscaleState: AutoscaleState = { lastEvaluatedAt: null, regions: {} };

/** A region's state, created on first sight; a profile of another bucket width (config changed) starts over. */
export function regionState(held: RegionAutoscaleState | undefined, bucketMs: number): RegionAutoscaleState {
  if (held && held.profile.bucketMs === bucketMs) return held;
  return {
    lastScaleOutAt: held?.lastScaleOutAt ?? null,
    lastScaleInAt: held?.lastScaleInAt ?? null,
    outStreak: null,
    inStreak: null,
    profile: emptyDemandProfile(bucketMs),
  };
}

export function extendStreak(streak: Streak | null, now: number, nodes: number): Streak {
  if (!streak) return { since: now, evaluations: 1, nodes };
  return { since: streak.since, evaluations: streak.evaluations + 1, nodes: Math.min(streak.nodes, nodes) };
}
