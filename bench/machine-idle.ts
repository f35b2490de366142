import fs from "node:fs";

/** Busy and total jiffies of all CPUs together, from /proc/stat's first line. */
function cpuTimes(): { busy: number; total: number } {
  const fields = fs.readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((sum, value) => sum + value, 0);
  // idle and iowait
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

/**
 * Waits until the machine is quiet: a system the previous run saturated keeps working through its backlog after its
 * clients leave, and would otherwise tax the next system's run. Quiet = two consecutive 250 ms samples below
 * `busyBelow` of all cores. Gives up after `maxMs` and says how busy it still was.
 */
export async function waitForQuietMachine(busyBelow = 0.3, maxMs = 20_000): Promise<{ waitedMs: number; busy: number }> {
  const started = performance.now();
  let quietSamples = 0;
  let busy = 1;
  let before = cpuTimes();
  while (performance.now() - started < maxMs) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = cpuTimes();
    busy = (now.busy - before.busy) / Math.max(1, now.total - before.total);
    before = now;
    quietSamples = busy < busyBelow ? quietSamples + 1 : 0;
    if (quietSamples >= 2) break;
  }
  return { waitedMs: performance.now() - started, busy };
}
