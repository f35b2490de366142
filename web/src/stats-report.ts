import type { StatsEntry } from "./quality-sampler.ts";

/** A browser's RTCStatsReport as the plain entries the quality sampler reads. */
export function entriesOf(report: RTCStatsReport | undefined): StatsEntry[] {
  const entries: StatsEntry[] = [];
  report?.forEach((stat: RTCStats) => {
    entries.push(stat as unknown as StatsEntry);
  });
  return entries;
}

/**
 * Several reports of one peer connection (one per track's sender or receiver) as one: the transport, candidate
 * pair and candidates they share appear once.
 */
export function mergeEntries(reports: readonly StatsEntry[][]): StatsEntry[] {
  const byId = new Map<string, StatsEntry>();
  for (const report of reports) for (const entry of report) byId.set(entry.id, entry);
  return [...byId.values()];
}
