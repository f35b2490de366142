import type { QualityEventFigures, QualitySampleFigures } from "../../protocol/quality-telemetry.ts";

/**
 * Quality samples and events on their way to the room, paced: the room takes one telemetry frame a second (after a
 * burst of four) and refuses the rest, so frames leave at most one per `gapMs`, events before samples. What can't
 * go out yet (socket down, still in the lobby) waits: every event, and only the newest sample (a stale one tells
 * the room nothing about now).
 */
export type TelemetryFrame = ({ type: "quality_sample" } & QualitySampleFigures) | { type: "quality_event"; event: QualityEventFigures };

export interface TelemetryOutboxOptions {
  /** Sends a frame and returns its id, or null when it can't go out now (it is kept and tried again). */
  send(frame: TelemetryFrame): string | null;
  gapMs?: number;
  now?: () => number;
}

/** Events kept while the socket is down; more than this in one outage are dropped, the earliest kept. */
const maxWaitingEvents = 32;
/** Ids of recent telemetry frames, so the room's refusal of one is recognised as ours (and not shown as a toast). */
const rememberedIds = 64;

export class TelemetryOutbox {
  private readonly events: TelemetryFrame[] = [];
  private sample: TelemetryFrame | null = null;
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly sentIds: string[] = [];
  private closed = false;
  private readonly gapMs: number;
  private readonly now: () => number;

  constructor(private readonly options: TelemetryOutboxOptions) {
    this.gapMs = options.gapMs ?? 1000;
    this.now = options.now ?? (() => Date.now());
  }

  event(event: QualityEventFigures): void {
    if (this.closed || this.events.length >= maxWaitingEvents) return;
    this.events.push({ type: "quality_event", event });
    this.pump();
  }

  sampleReady(figures: QualitySampleFigures): void {
    if (this.closed) return;
    this.sample = { type: "quality_sample", ...figures };
    this.pump();
  }

  /** The way may be open again (socket reopened, admitted): try now rather than at the next retry. */
  poke(): void {
    this.pump();
  }

  /** Whether `ref` (an `error` frame's) names a frame this outbox sent. */
  sent(ref: string | undefined): boolean {
    return ref !== undefined && this.sentIds.includes(ref);
  }

  /** Leaving: the waiting events go now, unpaced, and nothing more is accepted. Samples are left behind. */
  flushAndClose(): void {
    for (const frame of this.events.splice(0)) this.transmit(frame);
    this.close();
  }

  close(): void {
    this.closed = true;
    this.sample = null;
    this.events.length = 0;
    clearTimeout(this.timer);
  }

  private pump(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.closed || (this.events.length === 0 && !this.sample)) return;
    const wait = this.lastSentAt + this.gapMs - this.now();
    if (wait > 0) {
      this.timer = setTimeout(() => this.pump(), wait);
      return;
    }
    const frame = this.events[0] ?? this.sample;
    if (frame && this.transmit(frame)) {
      if (frame === this.events[0]) this.events.shift();
      else this.sample = null;
      this.lastSentAt = this.now();
    }
    // Sent: the next one after the gap. Not sent: try again after the gap (or sooner, on a poke).
    if (this.events.length > 0 || this.sample) this.timer = setTimeout(() => this.pump(), this.gapMs);
  }

  private transmit(frame: TelemetryFrame): boolean {
    const id = this.options.send(frame);
    if (id === null) return false;
    this.sentIds.push(id);
    if (this.sentIds.length > rememberedIds) this.sentIds.shift();
    return true;
  }
}
