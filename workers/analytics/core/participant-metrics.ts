import { ConnectionQuality } from "../../../protocol/call-quality.ts";
import { lossRate, ratio } from "./call-quality-metrics.ts";

/**
 * One participant's figures in a meeting, from its own samples, drops and sessions. Pure: the repository sums,
 * this divides and names.
 */

/** The roster's levels best first, so a larger rank is a worse level: the SQL takes the max rank, this names it. */
export const qualityRanks = ConnectionQuality.options;

export function qualityOfRank(rank: number | null): ConnectionQuality | null {
  return rank === null ? null : (qualityRanks[rank - 1] ?? null);
}

export interface ParticipantSums {
  participant: string;
  samples: number;
  mosSamples: number;
  mosSum: number;
  /** 1-based position in `qualityRanks` of the worst level a sample was rated (null: none rated). */
  worstQualityRank: number | null;
  rttSamples: number;
  rttSumMs: number;
  jitterSamples: number;
  jitterSumMs: number;
  packets: number;
  packetsLost: number;
  drops: number;
  sessions: number;
  sessionSeconds: number;
}

export interface ParticipantMetrics {
  participant: string;
  samples: number;
  mosMean: number | null;
  worstQuality: ConnectionQuality | null;
  rttMeanMs: number | null;
  jitterMeanMs: number | null;
  packetLoss: number | null;
  drops: number;
  sessions: number;
  secondsInMeeting: number;
}

export function participantMetrics(sums: ParticipantSums): ParticipantMetrics {
  return {
    participant: sums.participant,
    samples: sums.samples,
    mosMean: ratio(sums.mosSum, sums.mosSamples),
    worstQuality: qualityOfRank(sums.worstQualityRank),
    rttMeanMs: ratio(sums.rttSumMs, sums.rttSamples),
    jitterMeanMs: ratio(sums.jitterSumMs, sums.jitterSamples),
    packetLoss: lossRate(sums.packets, sums.packetsLost),
    drops: sums.drops,
    sessions: sums.sessions,
    secondsInMeeting: sums.sessionSeconds,
  };
}
