import { describe, expect, it } from "vitest";
import { planAlarm } from "./alarm-plan.ts";

describe("the room's alarm plan", () => {
  it("sets the alarm for the room's own deadline when nothing is pending in an outbox", () => {
    expect(planAlarm({ roomDueAt: 5_000, outboxDueAt: null, current: null, now: 0 })).toEqual({ kind: "set", at: 5_000 });
  });

  it("sets it for the earlier of the room's deadline and an outbox retry", () => {
    expect(planAlarm({ roomDueAt: 5_000, outboxDueAt: 3_000, current: null, now: 0 })).toEqual({ kind: "set", at: 3_000 });
    expect(planAlarm({ roomDueAt: 2_000, outboxDueAt: 3_000, current: null, now: 0 })).toEqual({ kind: "set", at: 2_000 });
  });

  it("keeps an alarm already set for the same time", () => {
    expect(planAlarm({ roomDueAt: 5_000, outboxDueAt: null, current: 5_000, now: 0 })).toEqual({ kind: "keep" });
  });

  it("moves the alarm earlier when the room's deadline comes sooner", () => {
    expect(planAlarm({ roomDueAt: 1_000, outboxDueAt: null, current: 5_000, now: 0 })).toEqual({ kind: "set", at: 1_000 });
  });

  it("keeps an earlier alarm when the deadline moves later: a chatting room does not rewrite it on every frame", () => {
    expect(planAlarm({ roomDueAt: 9_000, outboxDueAt: null, current: 5_000, now: 0 })).toEqual({ kind: "keep" });
  });

  it("keeps an earlier alarm while a retry is pending, so a busy room does not rewrite it on every frame", () => {
    expect(planAlarm({ roomDueAt: null, outboxDueAt: 12_000, current: 10_000, now: 0 })).toEqual({ kind: "keep" });
    expect(planAlarm({ roomDueAt: 20_000, outboxDueAt: 12_000, current: 10_000, now: 0 })).toEqual({ kind: "keep" });
  });

  it("moves a pending retry earlier, never later", () => {
    expect(planAlarm({ roomDueAt: null, outboxDueAt: 8_000, current: 10_000, now: 0 })).toEqual({ kind: "set", at: 8_000 });
  });

  it("deletes the alarm when nothing is due, and keeps none when none is set", () => {
    expect(planAlarm({ roomDueAt: null, outboxDueAt: null, current: 5_000, now: 0 })).toEqual({ kind: "delete" });
    expect(planAlarm({ roomDueAt: null, outboxDueAt: null, current: null, now: 0 })).toEqual({ kind: "keep" });
  });

  it("decides explicitly when the current alarm is unknown (after a restart or once it fired)", () => {
    expect(planAlarm({ roomDueAt: null, outboxDueAt: null, current: undefined, now: 0 })).toEqual({ kind: "delete" });
    expect(planAlarm({ roomDueAt: 4_000, outboxDueAt: 6_000, current: undefined, now: 0 })).toEqual({ kind: "set", at: 4_000 });
  });

  it("counts on an alarm whose time has come until its handler starts: it will run, and serves what is due", () => {
    expect(planAlarm({ roomDueAt: null, outboxDueAt: 9_000, current: 5_000, now: 6_000 })).toEqual({ kind: "keep" });
    expect(planAlarm({ roomDueAt: 4_000, outboxDueAt: null, current: 5_000, now: 6_000 })).toEqual({ kind: "keep" });
    expect(planAlarm({ roomDueAt: null, outboxDueAt: null, current: 6_000, now: 6_000 })).toEqual({ kind: "delete" });
  });

  it("lets an overdue alarm run in a room that never goes idle (setting it replaces it)", () => {
    // The runtime as the Durable Object API defines it: one alarm, replaced by every set; it runs its handler once
    // its time has come and the room has a moment between events, here 1 ms. A frame arrives every 0.5 ms, and
    // each plans the alarm again; the shell forgets the alarm when its handler starts.
    const deadline = 1_000;
    let alarmAt: number | null = deadline;
    let current: number | null | undefined = deadline;
    let handledAt: number | null = null;
    for (let now = 0; now < 10_000 && handledAt === null; now += 0.5) {
      const plan = planAlarm({ roomDueAt: deadline, outboxDueAt: null, current, now });
      if (plan.kind === "set") alarmAt = current = plan.at;
      // The handler needs the room between two frames: it starts at the first frame time ≥ 1 ms past its time.
      if (alarmAt !== null && now >= alarmAt + 1) handledAt = now;
    }
    expect(handledAt).toBe(deadline + 1);
  });

  it("sets a deadline that is already due just ahead of now, never to the time of the alarm that is firing", () => {
    // The open analytics batch closes at 5,000; the alarm for it runs at 5,000 (the shell forgot it as its handler
    // started) and the room plans again before closing it.
    expect(planAlarm({ roomDueAt: null, outboxDueAt: 5_000, current: undefined, now: 5_000 })).toEqual({ kind: "set", at: 5_001 });
    expect(planAlarm({ roomDueAt: 4_000, outboxDueAt: null, current: undefined, now: 5_000 })).toEqual({ kind: "set", at: 5_001 });
  });
});
