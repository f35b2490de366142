/**
 * Pure: when the node a meeting's media runs on counts as failed, from the room's probes of it and its clients'
 * trouble reports. The state is plain JSON the meeting room keeps with its media mode, so a room that hibernates
 * or is evicted between two probes remembers the first; time is passed in, never read.
 *
 * The rule: two failed probes in a row, or one failed probe that a client corroborates (it reported trouble with
 * its connection to the node within `reportTtlMs`, before or after the probe). A report alone never fails a node:
 * one client's network (or a client lying) must not move everyone. After a failed probe the next comes within
 * `recheckMs`, not a whole interval, so a dead node nobody reported is still confirmed in seconds.
 */

export interface FailurePolicy {
  /** Between probes of a node that answers. */
  probeIntervalMs: number;
  /** Between a failed probe and the next; also how long a probe may be awaited before another is asked. */
  recheckMs: number;
  /** Failed probes in a row that fail the node without any client's word. */
  failuresToFail: number;
  /** How long a client's trouble report counts as corroboration. */
  reportTtlMs: number;
}

export const defaultFailurePolicy: FailurePolicy = { probeIntervalMs: 5_000, recheckMs: 1_000, failuresToFail: 2, reportTtlMs: 10_000 };

/** What the room remembers about its node between events. */
export interface NodeWatch {
  /** When the last probe was asked. */
  probedAt: number;
  /** A probe was asked and has not answered yet. */
  awaitingProbe: boolean;
  /** Failed probes in a row. */
  failures: number;
  /** Reporter (a member's identity) → when it last reported trouble; one entry each, however often it reports. */
  troubleReports: Record<string, number>;
}

/** A node just placed: counts as probed now, so the first check comes one interval later. */
export const watchNode = (now: number): NodeWatch => ({ probedAt: now, awaitingProbe: false, failures: 0, troubleReports: {} });

export const nextProbeAt = (watch: NodeWatch, policy: FailurePolicy = defaultFailurePolicy): number =>
  watch.probedAt + (watch.failures > 0 ? policy.recheckMs : policy.probeIntervalMs);

export const probeAsked = (watch: NodeWatch, now: number): NodeWatch => ({ ...watch, probedAt: now, awaitingProbe: true });

export interface Observation {
  watch: NodeWatch;
  /** The node is failed: the meeting must leave it. */
  failed: boolean;
}

/** A probe's answer. */
export function observeProbe(watch: NodeWatch, healthy: boolean, now: number, policy: FailurePolicy = defaultFailurePolicy): Observation {
  const troubleReports = freshReports(watch.troubleReports, now, policy);
  if (healthy) return { watch: { ...watch, awaitingProbe: false, failures: 0, troubleReports }, failed: false };
  const failures = watch.failures + 1;
  const corroborated = Object.keys(troubleReports).length > 0;
  return { watch: { ...watch, awaitingProbe: false, failures, troubleReports }, failed: failures >= policy.failuresToFail || corroborated };
}

/** A client's report that its connection to the node is failing; `probe`: ask a probe now. */
export function observeTrouble(
  watch: NodeWatch,
  reporter: string,
  now: number,
  policy: FailurePolicy = defaultFailurePolicy,
): Observation & { probe: boolean } {
  const next = { ...watch, troubleReports: { ...freshReports(watch.troubleReports, now, policy), [reporter]: now } };
  // The last probe failed and now a client lost the node too: no need to wait for another probe.
  if (watch.failures > 0) return { watch: next, failed: true, probe: false };
  // A probe in flight will answer soon and this report will corroborate it; one long unanswered was lost.
  const probe = !watch.awaitingProbe || now - watch.probedAt >= policy.recheckMs * 2;
  return { watch: next, failed: false, probe };
}

function freshReports(reports: Record<string, number>, now: number, policy: FailurePolicy): Record<string, number> {
  const fresh: Record<string, number> = {};
  for (const [reporter, at] of Object.entries(reports)) if (now - at < policy.reportTtlMs) fresh[reporter] = at;
  return fresh;
}
