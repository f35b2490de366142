import { describe, expect, it } from "vitest";
import type { DispatchEndpoint, QueuedDelivery, SettledAttempt } from "./dispatch-types.ts";
import { EndpointDispatch, type DispatchPorts, type SendResult } from "./dispatch-run.ts";
import { parseRetrySchedule } from "./retry-schedule.ts";

/** An in-memory queue behind the ports: rows leave it when settled delivered or dead, as in Postgres. */
function harness(rows: QueuedDelivery[], answer: (d: QueuedDelivery) => Promise<number>) {
  const queue = [...rows];
  const sent: string[] = [];
  const written: SettledAttempt[] = [];
  const endpoint: DispatchEndpoint = {
    id: "e",
    tenantId: "t",
    url: "https://hooks.example.com",
    enabled: true,
    secrets: { current: "whsec_x", previous: null, previousExpiresAt: null },
    disableAfterSeconds: 3600,
    failingSince: null,
  };
  let clock = 1_000;
  const ports: DispatchPorts = {
    loadEndpoint: async () => ({ ...endpoint }),
    loadLanes: async () => {
      const lanes = new Map<string, QueuedDelivery[]>();
      for (const row of [...queue].sort((a, b) => a.eventSeq - b.eventSeq))
        lanes.set(row.laneKey, [...(lanes.get(row.laneKey) ?? []), row]);
      return [...lanes.values()];
    },
    send: async (_e, delivery): Promise<SendResult> => {
      sent.push(delivery.id);
      const statusCode = await answer(delivery);
      return { answer: { statusCode, failure: null, retryAfter: null }, latencyMs: 1, responseSnippet: null };
    },
    writeSettled: async (_e, settled) => {
      written.push(...settled);
      for (const s of settled) {
        const index = queue.findIndex((row) => row.id === s.deliveryId);
        if (s.settlement.delivery.status === "failed") {
          queue[index] = { ...queue[index]!, attempts: s.attempt, nextAttemptAt: s.settlement.delivery.nextAttemptAt };
        } else queue.splice(index, 1);
      }
    },
    setFailingSince: async () => {},
    disable: async () => {},
    now: () => clock,
    sleep: async (ms) => {
      clock += ms;
    },
    random: () => 0,
  };
  const dispatch = new EndpointDispatch(ports, { schedule: parseRetrySchedule("0,5,10"), laneConcurrency: 8, writeBatch: 2, perLane: 50 });
  return { dispatch, ports, sent, written, queue, advance: (ms: number) => (clock += ms) };
}

const row = (id: string, laneKey: string, eventSeq: number): QueuedDelivery => ({
  id,
  laneKey,
  eventSeq,
  eventId: id,
  attempts: 0,
  nextAttemptAt: 0,
  body: "{}",
});

describe("endpoint dispatch", () => {
  it("sends each lane in order while a stuck lane holds up only itself", async () => {
    let release!: () => void;
    const stuck = new Promise<number>((resolve) => (release = () => resolve(204)));
    const h = harness([row("a1", "A", 1), row("a2", "A", 4), row("b1", "B", 2), row("b2", "B", 3), row("c1", "C", 5)], (d) =>
      d.id === "a1" ? stuck : Promise.resolve(204),
    );
    const running = h.dispatch.run();
    await new Promise((resolve) => setTimeout(resolve, 10));
    // B and C are done while A's head is still in flight.
    expect(h.sent).toEqual(["a1", "b1", "c1", "b2"]);
    release();
    expect(await running).toBeNull();
    expect(h.sent).toEqual(["a1", "b1", "c1", "b2", "a2"]);
    expect(h.queue).toEqual([]);
  });

  it("a failed head holds its lane until its next attempt; the schedule's end lets the lane go on", async () => {
    const h = harness([row("p1", "P", 1), row("p2", "P", 2), row("q1", "Q", 3)], (d) => Promise.resolve(d.id === "p1" ? 500 : 204));
    const next = await h.dispatch.run();
    // p1 failed and waits 5 s for its second try; p2 waits behind it; q1 went out.
    expect(h.sent).toEqual(["p1", "q1"]);
    expect(next).toBe(h.queue.find((r) => r.id === "p1")!.nextAttemptAt);
    h.advance(6_000);
    expect(await h.dispatch.run()).toBeGreaterThan(0);
    h.advance(11_000);
    expect(await h.dispatch.run()).toBeNull();
    expect(h.sent).toEqual(["p1", "q1", "p1", "p1", "p2"]);
    expect(h.written.filter((w) => w.deliveryId === "p1").map((w) => w.settlement.delivery.status)).toEqual(["failed", "failed", "dead"]);
  });

  it("a poke during a run makes it read the queue again", async () => {
    let release!: () => void;
    const gate = new Promise<number>((resolve) => (release = () => resolve(204)));
    const h = harness([row("x1", "X", 1)], (d) => (d.id === "x1" ? gate : Promise.resolve(204)));
    const running = h.dispatch.run();
    await new Promise((resolve) => setTimeout(resolve, 5));
    h.queue.push(row("y1", "Y", 2));
    h.dispatch.poke();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(h.sent).toEqual(["x1", "y1"]);
    release();
    await running;
    expect(h.queue).toEqual([]);
  });

  it("rows that reach a lane while it is in flight are sent when it finishes", async () => {
    let release!: () => void;
    const gate = new Promise<number>((resolve) => (release = () => resolve(204)));
    const h = harness([row("l1", "L", 1)], (d) => (d.id === "l1" ? gate : Promise.resolve(204)));
    const running = h.dispatch.run();
    await new Promise((resolve) => setTimeout(resolve, 5));
    h.queue.push(row("l2", "L", 2));
    h.dispatch.poke();
    await new Promise((resolve) => setTimeout(resolve, 5));
    // Read while l1 was in flight: L was left out, so l2 waits for it.
    expect(h.sent).toEqual(["l1"]);
    release();
    expect(await running).toBeNull();
    expect(h.sent).toEqual(["l1", "l2"]);
    expect(h.queue).toEqual([]);
  });

  it("rows that reach a lane while its attempts are being written are sent too", async () => {
    let releaseWrite!: () => void;
    const h = harness([row("m1", "M", 1)], () => Promise.resolve(204));
    const write = h.ports.writeSettled;
    const load = h.ports.loadLanes;
    // Reads take time, as real ones do: the poke's read runs while the write is still held.
    h.ports.loadLanes = async (e, inFlight) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return load(e, inFlight);
    };
    let holdNext = true;
    h.ports.writeSettled = async (e, settled) => {
      if (holdNext) {
        holdNext = false;
        // The lane is done sending and is writing its attempts when the next fact arrives and pokes.
        h.queue.push(row("m2", "M", 2));
        h.dispatch.poke();
        await new Promise<void>((resolve) => (releaseWrite = resolve));
      }
      return write(e, settled);
    };
    const running = h.dispatch.run();
    await new Promise((resolve) => setTimeout(resolve, 10));
    releaseWrite();
    expect(await running).toBeNull();
    expect(h.sent).toEqual(["m1", "m2"]);
    expect(h.queue).toEqual([]);
  });
});
