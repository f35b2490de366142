/**
 * The billable meters and their units. Pure: the one definition the schema's checks, the writer, pricing and the
 * API all read. A time meter's quantity is in milliseconds (the fact's own period), so every rounding rule (none,
 * up to the second, up to the minute) is applied to the exact figure, per record, and can be shown to the tenant.
 */
export const usageMeters = [
  "p2p_participant_seconds",
  "sfu_participant_seconds",
  "recording_seconds",
  "composited_seconds",
  "storage_byte_days",
  "attachment_bytes",
] as const;
export type UsageMeter = (typeof usageMeters)[number];

export const isUsageMeter = (value: string): value is UsageMeter => (usageMeters as readonly string[]).includes(value);

export type MeterUnit = "millisecond" | "byte_day" | "byte";

export interface MeterDefinition {
  /** The unit a record's `quantity` is counted in. */
  unit: MeterUnit;
  /** The unit a price is quoted per, and how many base units make one. */
  pricedPer: { unit: "minute" | "gib_day" | "gib"; baseUnits: number };
  /** Whether its quantity is a duration (the rounding rules apply to durations only). */
  time: boolean;
}

const gib = 1024 ** 3;
const perMinute = { unit: "minute", baseUnits: 60_000 } as const;

export const meterDefinitions: Record<UsageMeter, MeterDefinition> = {
  p2p_participant_seconds: { unit: "millisecond", pricedPer: perMinute, time: true },
  sfu_participant_seconds: { unit: "millisecond", pricedPer: perMinute, time: true },
  recording_seconds: { unit: "millisecond", pricedPer: perMinute, time: true },
  composited_seconds: { unit: "millisecond", pricedPer: perMinute, time: true },
  storage_byte_days: { unit: "byte_day", pricedPer: { unit: "gib_day", baseUnits: gib }, time: false },
  attachment_bytes: { unit: "byte", pricedPer: { unit: "gib", baseUnits: gib }, time: false },
};

/** Where a usage record's fact came from; with `source_id` it names the fact. */
export const usageSources = ["livekit_webhook", "room", "reconciliation", "object_store", "recording"] as const;
export type UsageSource = (typeof usageSources)[number];

/** The quantity of a record of this meter over [startMs, endMs]: a time meter's is the period's length in ms. */
export function recordQuantity(meter: UsageMeter, quantity: number, startMs: number, endMs: number): number {
  if (meterDefinitions[meter].time) return Math.max(0, Math.round(endMs - startMs));
  return Math.max(0, Math.round(quantity));
}
