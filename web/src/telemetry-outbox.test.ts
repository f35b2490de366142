import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { QualityEventFigures, QualitySampleFigures } from "../../protocol/quality-telemetry.ts";
import { TelemetryOutbox, type TelemetryFrame } from "./telemetry-outbox.ts";

const drop = (n: number): QualityEventFigures => ({
  kind: "drop",
  eventId: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
  path: "p2p",
  cause: "socket_closed",
});
const sample = (n: number): QualitySampleFigures => ({
  sampleId: `00000000-0000-4000-9000-${String(n).padStart(12, "0")}`,
  windowMs: 5000,
  path: "p2p",
  tracks: [],
});
const label = (frame: TelemetryFrame) =>
  frame.type === "quality_event" ? `event ${frame.event.eventId.slice(-1)}` : `sample ${frame.sampleId.slice(-1)}`;

describe("telemetry outbox", () => {
  let sent: { at: number; what: string }[];
  let open: boolean;
  let outbox: TelemetryOutbox;
  beforeEach(() => {
    vi.useFakeTimers();
    sent = [];
    open = true;
    outbox = new TelemetryOutbox({
      send: (frame) => {
        if (!open) return null;
        sent.push({ at: Date.now(), what: label(frame) });
        return `id-${sent.length}`;
      },
    });
  });
  afterEach(() => {
    outbox.close();
    vi.useRealTimers();
  });

  it("sends one frame a second at most, events first, and only the newest waiting sample", () => {
    const start = Date.now();
    outbox.sampleReady(sample(1));
    outbox.event(drop(1));
    outbox.event(drop(2));
    outbox.sampleReady(sample(2));
    vi.advanceTimersByTime(5000);
    expect(sent.map(({ at, what }) => [at - start, what])).toEqual([
      [0, "sample 1"],
      [1000, "event 1"],
      [2000, "event 2"],
      [3000, "sample 2"],
    ]);
  });

  it("keeps what can't go out (socket down, lobby) and sends it once the way is open", () => {
    open = false;
    outbox.event(drop(1));
    outbox.sampleReady(sample(1));
    vi.advanceTimersByTime(3000);
    expect(sent).toEqual([]);
    open = true;
    outbox.poke();
    vi.advanceTimersByTime(1000);
    expect(sent.map(({ what }) => what)).toEqual(["event 1", "sample 1"]);
    expect(outbox.sent("id-1")).toBe(true);
    expect(outbox.sent("someone-else")).toBe(false);
  });

  it("on leaving, waiting events go at once and later ones are not accepted", () => {
    outbox.event(drop(1));
    outbox.event(drop(2));
    outbox.event(drop(3));
    outbox.sampleReady(sample(1));
    outbox.flushAndClose();
    outbox.event(drop(4));
    vi.advanceTimersByTime(5000);
    expect(sent.map(({ what }) => what)).toEqual(["event 1", "event 2", "event 3"]);
  });
});
