/**
 * How long a signed-in session lives (workers/identity/session-store.ts keeps them in Redis). Short-lived and
 * rotating: a session unused for `idleMs` is gone, none outlives `absoluteMs`, and one older than `rotateAfterMs`
 * gets a new id on its next use (the old id keeps working `rotationGraceMs`, for requests already in flight).
 */
export const sessionTiming = {
  idleMs: 30 * 60_000,
  absoluteMs: 12 * 3_600_000,
  rotateAfterMs: 10 * 60_000,
  rotationGraceMs: 30_000,
} as const;

export interface SessionTimes {
  createdAt: number;
  /** When this id was issued (a rotation issues a new one). */
  issuedAt: number;
  lastSeenAt: number;
  /** Set on an id that was rotated away: it stops working at this time. */
  retiresAt?: number;
}

export type SessionVerdict = "valid" | "rotate" | "expired";

export function sessionVerdict(session: SessionTimes, now: number, timing = sessionTiming): SessionVerdict {
  if (now - session.createdAt >= timing.absoluteMs) return "expired";
  if (now - session.lastSeenAt >= timing.idleMs) return "expired";
  if (session.retiresAt !== undefined) return now < session.retiresAt ? "valid" : "expired";
  return now - session.issuedAt >= timing.rotateAfterMs ? "rotate" : "valid";
}

/** Seconds Redis keeps a session id: until it would expire for idleness, capped by its absolute end. */
export function sessionTtlMs(session: SessionTimes, now: number, timing = sessionTiming): number {
  const absoluteLeft = session.createdAt + timing.absoluteMs - now;
  const retireLeft = session.retiresAt === undefined ? Number.POSITIVE_INFINITY : session.retiresAt - now;
  return Math.max(1, Math.min(timing.idleMs, absoluteLeft, retireLeft));
}
