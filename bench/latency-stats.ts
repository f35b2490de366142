/** Percentiles and throughput of a set of latency samples (milliseconds). Pure. */
export interface LatencySummary {
  count: number;
  perSecond: number;
  p50: number;
  p95: number;
  p99: number;
}

export function summarize(samplesMs: number[], wallMs: number): LatencySummary {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { count: sorted.length, perSecond: (sorted.length / wallMs) * 1000, p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}

/** Runs `task` `total` times with at most `concurrency` in flight; returns per-call latencies and wall time. */
export async function runBounded(total: number, concurrency: number, task: (i: number) => Promise<void>) {
  const samples: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const t0 = performance.now();
        await task(i);
        samples.push(performance.now() - t0);
      }
    }),
  );
  return { samples, wallMs: performance.now() - started };
}

export const formatRow = (name: string, s: LatencySummary) =>
  `${name.padEnd(44)} ${s.perSecond.toFixed(0).padStart(7)}/s  p50 ${s.p50.toFixed(2).padStart(7)} ms  p95 ${s.p95.toFixed(2).padStart(7)} ms  p99 ${s.p99.toFixed(2).padStart(7)} ms`;
