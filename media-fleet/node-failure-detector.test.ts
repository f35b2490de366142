import { describe, expect, it } from "vitest";
import {
  defaultFailurePolicy,
  nextProbeAt,
  observeProbe,
  observeTrouble,
  probeAsked,
  watchNode,
  type NodeWatch,
} from "./node-failure-detector.ts";

const { probeIntervalMs, recheckMs, reportTtlMs } = defaultFailurePolicy;

/** A probe asked at `at` that answers at once. */
const probe = (watch: NodeWatch, healthy: boolean, at: number) => observeProbe(probeAsked(watch, at), healthy, at);

describe("node failure detector", () => {
  it("a node that answers is probed every interval and never failed", () => {
    let watch = watchNode(0);
    expect(nextProbeAt(watch)).toBe(probeIntervalMs);
    for (let at = probeIntervalMs; at <= 10 * probeIntervalMs; at += probeIntervalMs) {
      const seen = probe(watch, true, at);
      expect(seen.failed).toBe(false);
      watch = seen.watch;
    }
    expect(nextProbeAt(watch)).toBe(11 * probeIntervalMs);
  });

  it("one failed probe is not enough: it is checked again within a second, and a second failure fails it", () => {
    const first = probe(watchNode(0), false, 5_000);
    expect(first.failed).toBe(false);
    expect(nextProbeAt(first.watch)).toBe(5_000 + recheckMs);
    expect(probe(first.watch, false, 6_000).failed).toBe(true);
  });

  it("a blip (a failure then a success) resets the count", () => {
    const blip = probe(probe(watchNode(0), false, 5_000).watch, true, 6_000);
    expect(blip.failed).toBe(false);
    expect(nextProbeAt(blip.watch)).toBe(6_000 + probeIntervalMs);
    expect(probe(blip.watch, false, 11_000).failed).toBe(false);
  });

  it("a client's report corroborates a failed probe: failed at the first failure, whichever comes first", () => {
    const reported = observeTrouble(watchNode(0), "p2", 3_000);
    expect(reported).toMatchObject({ failed: false, probe: true });
    expect(probe(reported.watch, false, 3_010).failed).toBe(true);

    const failedFirst = probe(watchNode(0), false, 5_000);
    expect(observeTrouble(failedFirst.watch, "p2", 5_100)).toMatchObject({ failed: true, probe: false });
  });

  it("reports alone never fail a node that answers, however many and however often", () => {
    let watch = watchNode(0);
    for (let i = 0; i < 50; i++) {
      const seen = observeTrouble(watch, `p${i % 5}`, 100 * i);
      expect(seen.failed).toBe(false);
      watch = seen.probe ? probeAsked(seen.watch, 100 * i) : seen.watch;
      if (seen.probe) watch = observeProbe(watch, true, 100 * i + 5).watch;
    }
    // One entry per reporter: a client repeating itself does not grow the room's state.
    expect(Object.keys(watch.troubleReports).sort()).toEqual(["p0", "p1", "p2", "p3", "p4"]);
  });

  it("an old report corroborates nothing: it has expired", () => {
    const reported = observeTrouble(watchNode(0), "p2", 1_000).watch;
    const later = probe(reported, false, 1_000 + reportTtlMs);
    expect(later.failed).toBe(false);
    expect(later.watch.troubleReports).toEqual({});
  });

  it("a report while a probe is in flight waits for it; a probe never answered does not block the next", () => {
    const asked = probeAsked(watchNode(0), 5_000);
    expect(observeTrouble(asked, "p2", 5_200)).toMatchObject({ failed: false, probe: false });
    expect(observeTrouble(asked, "p2", 5_000 + 2 * recheckMs)).toMatchObject({ failed: false, probe: true });
  });

  it("the state is plain JSON: it round-trips through storage unchanged", () => {
    const watch = observeTrouble(probe(watchNode(0), false, 5_000).watch, "p2", 5_100).watch;
    expect(JSON.parse(JSON.stringify(watch))).toEqual(watch);
  });
});
