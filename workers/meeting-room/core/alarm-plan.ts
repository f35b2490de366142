/**
 * The room's one Durable Object alarm serves its own deadlines (grace, heartbeat, scheduled end, media
 * checks) and its outboxes' retries. Given both and the alarm currently set, what to do with it. Pure.
 */
export type AlarmPlan = { kind: "set"; at: number } | { kind: "delete" } | { kind: "keep" };

export interface AlarmInputs {
  /** The room's own next deadline (null: none). */
  roomDueAt: number | null;
  /** The earliest time an outbox wants to retry (null: nothing pending). */
  outboxDueAt: number | null;
  /**
   * The alarm as last set: a time, null for none, undefined when not known (after a restart, or once its handler
   * started). An alarm whose time has passed but whose handler has not started is still pending: it will run.
   */
  current: number | null | undefined;
  /** The room's clock. */
  now: number;
}

export function planAlarm({ roomDueAt, outboxDueAt, current, now }: AlarmInputs): AlarmPlan {
  const earliest = roomDueAt === null ? outboxDueAt : outboxDueAt === null ? roomDueAt : Math.min(roomDueAt, outboxDueAt);
  // Something already due is set just ahead of now: setting the alarm to the time it already holds (the one
  // that is firing) changes nothing, so the runtime would not arm it again.
  const due = earliest === null ? null : Math.max(earliest, now + 1);
  if (due === current) return { kind: "keep" };
  // An earlier alarm serves a later deadline too: it ticks, finds nothing due and sets the next one. Without
  // this a busy room would rewrite the alarm on every frame (each frame moves its sender's heartbeat deadline,
  // and a pending outbox its fallback retry), one storage write per frame for nothing. That includes an alarm
  // whose time has come while its handler waits behind the room's events: setting it again would replace it,
  // and in a room that never goes idle each frame would push it a millisecond on, so it would never run.
  if (current != null && due !== null && current <= due) return { kind: "keep" };
  if (due === null) return current === null ? { kind: "keep" } : { kind: "delete" };
  return { kind: "set", at: due };
}
