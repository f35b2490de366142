import { type MosBand, type MosBandCounts, mosBands } from "./mos-bands.ts";

/**
 * The key call-quality metrics of a scope (a range, optionally one meeting or region; or one hourly row) from the
 * sums and counts the rollup keeps, plus the few figures only the raw rows can give (exact join-time percentiles,
 * session lengths, distinct participants). Every average is sum / count of the same rows; a ratio or average with
 * nothing under it is null, never 0; counts and sums of nothing are 0. Pure.
 */

/** One scope's totals from analytics_hourly (each column summed over the scope's rows; 0 when there are none). */
export interface RollupSums {
  samples: number;
  mosSamples: number;
  mosSum: number;
  mosBands: MosBandCounts;
  rttSamples: number;
  rttSumMs: number;
  jitterSamples: number;
  jitterSumMs: number;
  packets: number;
  packetsLost: number;
  connectionAttempts: number;
  connectionsJoined: number;
  joinTimings: number;
  joinMsSum: number;
  drops: number;
  sessions: number;
  participantSeconds: number;
  samplesDropped: number;
}

/** Exact percentiles of the join_timing events' total_ms in the scope (null: none). */
export interface JoinPercentiles {
  p50Ms: number | null;
  p95Ms: number | null;
}

/** From analytics_sessions: the sessions that ended in the scope. */
export interface SessionFigures {
  sessions: number;
  meanSessionSeconds: number | null;
  /** Meetings with a session that ended in the scope, and their mean length: first join to last leave of those sessions. */
  meetings: number;
  meanMeetingSeconds: number | null;
}

export interface MetricInputs {
  rollup: RollupSums;
  joinPercentiles: JoinPercentiles;
  sessions: SessionFigures;
  /** Distinct participants active in the scope (analytics_active_participants). */
  activeUsers: number;
}

export interface CallQualityMetrics {
  connections: { attempts: number; joined: number; successRate: number | null };
  joinTime: { timings: number; meanMs: number | null; p50Ms: number | null; p95Ms: number | null };
  packetLoss: { packets: number; packetsLost: number; rate: number | null };
  jitter: { samples: number; meanMs: number | null };
  rtt: { samples: number; meanMs: number | null };
  mos: {
    samples: number;
    mean: number | null;
    distribution: { band: MosBand; minMos: number; samples: number; share: number | null }[];
  };
  drops: { count: number; sessions: number; perParticipantHour: number | null; perSession: number | null };
  callDuration: SessionFigures;
  participantSeconds: number;
  meetingMinutes: number;
  activeUsers: number;
  samples: number;
  samplesDropped: number;
}

/** numerator / denominator, or null when there is nothing to divide by. */
export function ratio(numerator: number, denominator: number): number | null {
  return denominator > 0 ? numerator / denominator : null;
}

/** Lost packets over the packets that should have arrived: lost / (received or sent + lost). */
export function lossRate(packets: number, packetsLost: number): number | null {
  return ratio(packetsLost, packets + packetsLost);
}

export function callQualityMetrics({ rollup, joinPercentiles, sessions, activeUsers }: MetricInputs): CallQualityMetrics {
  return {
    connections: {
      attempts: rollup.connectionAttempts,
      joined: rollup.connectionsJoined,
      successRate: ratio(rollup.connectionsJoined, rollup.connectionAttempts),
    },
    joinTime: {
      timings: rollup.joinTimings,
      meanMs: ratio(rollup.joinMsSum, rollup.joinTimings),
      p50Ms: joinPercentiles.p50Ms,
      p95Ms: joinPercentiles.p95Ms,
    },
    packetLoss: { packets: rollup.packets, packetsLost: rollup.packetsLost, rate: lossRate(rollup.packets, rollup.packetsLost) },
    jitter: { samples: rollup.jitterSamples, meanMs: ratio(rollup.jitterSumMs, rollup.jitterSamples) },
    rtt: { samples: rollup.rttSamples, meanMs: ratio(rollup.rttSumMs, rollup.rttSamples) },
    mos: {
      samples: rollup.mosSamples,
      mean: ratio(rollup.mosSum, rollup.mosSamples),
      distribution: mosBands.map(({ band, minMos }, i) => {
        const samples = rollup.mosBands[i] ?? 0;
        return { band, minMos, samples, share: ratio(samples, rollup.mosSamples) };
      }),
    },
    drops: {
      count: rollup.drops,
      sessions: rollup.sessions,
      perParticipantHour: ratio(rollup.drops, rollup.participantSeconds / 3600),
      perSession: ratio(rollup.drops, rollup.sessions),
    },
    callDuration: sessions,
    participantSeconds: rollup.participantSeconds,
    meetingMinutes: rollup.participantSeconds / 60,
    activeUsers,
    samples: rollup.samples,
    samplesDropped: rollup.samplesDropped,
  };
}
