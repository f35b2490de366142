/** Runs dependency probes concurrently, each bounded by a timeout, and reports status and latency. Pure. */
export type Probe = () => Promise<void>;

export interface ProbeResult {
  status: "up" | "down";
  latencyMs: number;
  error?: string;
}

export async function runProbes(
  probes: Record<string, Probe>,
  options: { timeoutMs: number; clock?: () => number },
): Promise<Record<string, ProbeResult>> {
  const clock = options.clock ?? (() => performance.now());
  const entries = await Promise.all(
    Object.entries(probes).map(async ([name, probe]): Promise<[string, ProbeResult]> => {
      const started = clock();
      try {
        await withTimeout(probe(), options.timeoutMs);
        return [name, { status: "up", latencyMs: round(clock() - started) }];
      } catch (error) {
        return [name, { status: "down", latencyMs: round(clock() - started), error: describe(error) }];
      }
    }),
  );
  return Object.fromEntries(entries);
}

const round = (ms: number) => Math.round(ms * 10) / 10;

/** Only the error's class and a short message: driver errors can echo connection strings. */
function describe(error: unknown): string {
  if (error instanceof ProbeTimeout) return error.message;
  const name = error instanceof Error ? error.name : "Error";
  return `${name}: probe failed`;
}

export class ProbeTimeout extends Error {
  constructor(ms: number) {
    super(`timed out after ${ms} ms`);
    this.name = "ProbeTimeout";
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ProbeTimeout(ms)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
