import type { MediaPath, QualityEventFigures } from "../../protocol/quality-telemetry.ts";
import { advance, aloneWaitMs, initialJoinProgress, type JoinMark, type JoinProgress } from "./join-timing.ts";
import { SampleLoop, type SampleReading } from "./sample-loop.ts";
import { TelemetryOutbox, type TelemetryFrame } from "./telemetry-outbox.ts";

/**
 * What this participant tells the room about its own call: a quality sample every interval while in the meeting,
 * its join's timing and outcome, and each drop. The session records marks and drops; this decides what is due
 * (join-timing.ts), samples (sample-loop.ts) and paces the frames out (telemetry-outbox.ts).
 */
export interface CallTelemetryOptions {
  intervalMs: number;
  /** Sends a frame when the room would take it (socket open, admitted); its id, or null to keep it for later. */
  send(frame: TelemetryFrame): string | null;
  readStats(): Promise<SampleReading | null>;
  /** Whether nobody else is in the meeting now. */
  alone(): boolean;
}

type DropCause = Extract<QualityEventFigures, { kind: "drop" }>["cause"];

export class CallTelemetry {
  private progress: JoinProgress = initialJoinProgress;
  private aloneTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly outbox: TelemetryOutbox;
  private readonly loop: SampleLoop;
  private ended = false;

  constructor(private readonly options: CallTelemetryOptions) {
    this.outbox = new TelemetryOutbox({ send: (frame) => options.send(frame) });
    this.loop = new SampleLoop({
      intervalMs: options.intervalMs,
      read: () => options.readStats(),
      emit: (figures) => this.outbox.sampleReady(figures),
    });
  }

  /** Records a step of the join (times from `performance.now()`); sends the events it makes due. */
  mark(mark: JoinMark): void {
    if (this.ended) return;
    const { progress, events } = advance(this.progress, mark, () => crypto.randomUUID());
    this.progress = progress;
    for (const event of events) this.outbox.event(event);
    if (mark.kind === "admitted") this.inMeeting(mark.alone);
  }

  drop(cause: DropCause, path: MediaPath): void {
    if (!this.ended) this.outbox.event({ kind: "drop", eventId: crypto.randomUUID(), path, cause });
  }

  /** The socket is open again, or we were let in: what waited can go. */
  poke(): void {
    this.outbox.poke();
  }

  /** Whether an `error` frame's `ref` names one of our telemetry frames (the user has nothing to do about it). */
  sent(ref: string | undefined): boolean {
    return this.outbox.sent(ref);
  }

  /** The user left: a join still under way gave up; the waiting events go now. */
  leave(): void {
    this.mark({ kind: "left", at: performance.now() });
    this.ended = true;
    this.stopTimers();
    this.outbox.flushAndClose();
  }

  /** The call is over (ended, removed, disconnected for good): nothing more is sampled or sent. */
  stop(): void {
    this.ended = true;
    this.stopTimers();
    this.outbox.close();
  }

  private inMeeting(alone: boolean): void {
    this.loop.start();
    this.outbox.poke();
    if (alone && this.aloneTimer === undefined) {
      this.aloneTimer = setTimeout(
        () => this.mark({ kind: "alone_wait_over", at: performance.now(), alone: this.options.alone() }),
        aloneWaitMs,
      );
    }
  }

  private stopTimers(): void {
    this.loop.stop();
    clearTimeout(this.aloneTimer);
  }
}
