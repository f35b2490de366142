import type { Member, RoomSettings } from "./room-state.ts";

/**
 * When a participant's silence ends their connection. Every frame proves a connected participant alive, but
 * writing that down per frame copied the whole roster and stored the sender on every chat message, a cost that
 * grows with the room on its hottest path. So `lastSeenAt` moves only when it is at least `refreshMs` old: a
 * connected participant's last frame is then within `refreshMs` after it, and the heartbeat timeout counts from
 * `lastSeenAt + refreshMs`, so nobody is closed before `heartbeatTimeoutMs` of real silence, and everyone silent
 * is closed within `refreshMs` after it. A disconnected participant's `lastSeenAt` is exact (set at the close).
 */
export function livenessRefreshMs(settings: Pick<RoomSettings, "heartbeatTimeoutMs">): number {
  return Math.min(maxRefreshMs, Math.floor(settings.heartbeatTimeoutMs / 4));
}

const maxRefreshMs = 5_000;

/** Whether a frame from this member, now, must be written down as its liveness. */
export function seenIsStale(member: Member, settings: RoomSettings, now: number): boolean {
  return !member.connected || now - member.lastSeenAt >= livenessRefreshMs(settings);
}

/** When the member's silence runs out: the heartbeat timeout if connected, the grace window if dropped. */
export function silenceDeadline(member: Member, settings: RoomSettings): number {
  return member.connected
    ? member.lastSeenAt + livenessRefreshMs(settings) + settings.heartbeatTimeoutMs
    : member.lastSeenAt + settings.graceMs;
}

const earliestBySettings = new WeakMap<Record<string, Member>, { settings: RoomSettings; at: number | null }>();

/** The earliest member deadline (null: nobody), remembered per roster, which most events leave as it is. */
export function earliestSilenceDeadline(members: Record<string, Member>, settings: RoomSettings): number | null {
  const known = earliestBySettings.get(members);
  if (known?.settings === settings) return known.at;
  let at: number | null = null;
  for (const identity in members) {
    const due = silenceDeadline(members[identity]!, settings);
    if (at === null || due < at) at = due;
  }
  earliestBySettings.set(members, { settings, at });
  return at;
}
