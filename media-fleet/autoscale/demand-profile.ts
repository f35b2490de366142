/**
 * A region's learned daily demand curve: the day is cut into fixed buckets (15 min by default) and each bucket
 * keeps an exponentially weighted mean over days of that bucket's average demand. Today's samples collect in
 * an open accumulator that is folded in once its day is over, so a forecast only ever uses finished days and
 * the predictive rule can't chase the noise of the minute it is looking at. Plain data, safe to serialise.
 */

export const dayMs = 86_400_000;

export interface ProfileBucket {
  /** Weighted mean over finished days; null until one day has been folded in. */
  mean: number | null;
  /** Finished days folded into `mean`. */
  days: number;
  /** The latest day's running sum, folded in once that day is over. */
  open: { day: number; sum: number; count: number } | null;
}

export interface DemandProfile {
  bucketMs: number;
  buckets: ProfileBucket[];
  /** Time of the newest sample learned; older or repeated samples are ignored, so replays can't double count. */
  learnedUntil: number | null;
}

export interface DemandForecast {
  /** Highest bucket mean in the window, in connections. */
  peak: number;
  /** Start of the bucket (on the forecast's day) the peak belongs to. */
  peakAt: number;
}

export function emptyDemandProfile(bucketMs: number): DemandProfile {
  const buckets = Array.from({ length: dayMs / bucketMs }, (): ProfileBucket => ({ mean: null, days: 0, open: null }));
  return { bucketMs, buckets, learnedUntil: null };
}

const dayOf = (at: number) => Math.floor(at / dayMs);
const bucketIndex = (profile: DemandProfile, at: number) => Math.floor((at - dayOf(at) * dayMs) / profile.bucketMs);

/** The bucket as it stands once every day before `day` is finished. */
function settled(bucket: ProfileBucket, day: number, learningRate: number): { mean: number | null; days: number } {
  const { open } = bucket;
  if (!open || open.day >= day || open.count === 0) return { mean: bucket.mean, days: bucket.days };
  const dayMean = open.sum / open.count;
  const mean = bucket.mean === null ? dayMean : bucket.mean + learningRate * (dayMean - bucket.mean);
  return { mean, days: bucket.days + 1 };
}

/** Adds one demand observation. Never mutates `profile`. */
export function learnDemand(profile: DemandProfile, at: number, demand: number, learningRate: number): DemandProfile {
  if (profile.learnedUntil !== null && at <= profile.learnedUntil) return profile;
  const index = bucketIndex(profile, at);
  const day = dayOf(at);
  const bucket = profile.buckets[index]!;
  const { mean, days } = settled(bucket, day, learningRate);
  const open = bucket.open && bucket.open.day === day ? bucket.open : { day, sum: 0, count: 0 };
  const buckets = profile.buckets.slice();
  buckets[index] = { mean, days, open: { day, sum: open.sum + demand, count: open.count + 1 } };
  return { ...profile, buckets, learnedUntil: at };
}

/**
 * The highest learned demand over [fromMs, toMs], using only buckets seen on at least `minDays` finished days;
 * null when none qualifies (the profile is still learning).
 */
export function forecastDemand(
  profile: DemandProfile,
  fromMs: number,
  toMs: number,
  learningRate: number,
  minDays: number,
): DemandForecast | null {
  let best: DemandForecast | null = null;
  const first = Math.floor(fromMs / profile.bucketMs) * profile.bucketMs;
  for (let start = first; start <= toMs; start += profile.bucketMs) {
    const { mean, days } = settled(profile.buckets[bucketIndex(profile, start)]!, dayOf(start), learningRate);
    if (mean === null || days < minDays) continue;
    if (!best || mean > best.peak) best = { peak: mean, peakAt: start };
  }
  return best;
}
