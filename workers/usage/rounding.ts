import { meterDefinitions, type UsageMeter } from "./meters.ts";

/**
 * Per-record rounding a tenant's price table names for each meter, applied to each record before summing (like
 * LiveKit Cloud's whole-minute rounding, but chosen per meter and shown in GET /v1/usage/prices). Pure.
 */
export const roundingRules = ["none", "ceil_second", "ceil_minute"] as const;
export type RoundingRule = (typeof roundingRules)[number];

const stepMs: Record<RoundingRule, number> = { none: 1, ceil_second: 1_000, ceil_minute: 60_000 };

/** Whether the rule applies to the meter: rounding durations up means nothing for bytes. */
export const ruleFits = (meter: UsageMeter, rule: RoundingRule) => rule === "none" || meterDefinitions[meter].time;

/** One record's billed quantity: its quantity rounded up to the rule's step (never down, never below 0). */
export function roundRecord(quantity: number, rule: RoundingRule): number {
  const step = stepMs[rule];
  const q = Math.max(0, Math.trunc(quantity));
  return Math.ceil(q / step) * step;
}
