import type { QualitySampleFigures } from "../../protocol/quality-telemetry.ts";
import { sampleFigures, type SampleContext, type StatsEntry, type StatsSnapshot } from "./quality-sampler.ts";

/**
 * Reads the call's stats every `intervalMs` and turns each pair of readings into a sample (quality-sampler.ts).
 * Runs on timers only (no DOM): the page and the rtc-node test bots sample with it alike.
 */
export interface SampleReading {
  connections: Record<string, StatsEntry[]>;
  context: Omit<SampleContext, "sampleId">;
}

export interface SampleLoopOptions {
  intervalMs: number;
  /** The call's stats now, or null when there is no call to sample (the next reading starts a new window). */
  read(): Promise<SampleReading | null>;
  /** A sample with at least one stream in it. */
  emit(figures: QualitySampleFigures): void;
  now?: () => number;
}

/** The production interval; tests may shorten it, never below the shortest window a sample may cover. */
export const defaultSampleIntervalMs = 5000;
export const minSampleIntervalMs = 1000;

export class SampleLoop {
  private previous: StatsSnapshot | null = null;
  private timer: ReturnType<typeof setInterval> | undefined;
  private reading = false;
  private readonly now: () => number;

  constructor(private readonly options: SampleLoopOptions) {
    this.now = options.now ?? (() => performance.now());
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  start(): void {
    if (this.timer !== undefined) return;
    // Streams that began before the first reading count from their start, over the time since this baseline.
    this.previous = { atMs: this.now(), connections: {} };
    const intervalMs = Math.max(minSampleIntervalMs, this.options.intervalMs);
    this.timer = setInterval(() => void this.tick(), intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.previous = null;
  }

  private async tick(): Promise<void> {
    if (this.reading) return; // a slow getStats() skips a beat rather than piling up
    this.reading = true;
    try {
      const atMs = this.now();
      const reading = await this.options.read();
      if (this.timer === undefined) return;
      const current: StatsSnapshot = { atMs, connections: reading?.connections ?? {} };
      const previous = this.previous ?? current;
      this.previous = current;
      if (!reading) return;
      const figures = sampleFigures(previous, current, reading.context);
      if (figures.tracks.length > 0) this.options.emit(figures);
    } catch (error) {
      console.warn("[quality] sampling failed:", error);
    } finally {
      this.reading = false;
    }
  }
}
