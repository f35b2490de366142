import type { ConnectionOutcome, MediaPath, QualityEventFigures } from "../../protocol/quality-telemetry.ts";

/**
 * A join's `join_timing` and `connection_outcome` events from the marks the session records as it goes. Pure:
 * `advance` takes the progress so far and one mark and says which events are due, each at most once per session.
 *
 * - `join_timing`: token request → token in hand (`tokenMs`); opening the socket → the room's first answer
 *   (`socketMs`; a join also waits for the camera prompt, which is in neither figure); admission (`welcome`), or
 *   the moment someone else was there if we came in alone, → the first remote media (`firstMediaMs`), or null if
 *   still alone when the alone wait is over.
 * - `connection_outcome`: from the token request to the first of media connected (or admitted alone: nothing to
 *   connect) → `joined`, the first connection attempt failing → `failed_ice` / `failed_sfu`, leaving → `gave_up`.
 */
export type JoinMark =
  | { kind: "token"; requestedAt: number; receivedAt: number }
  | { kind: "socket_opening"; at: number }
  /** The room's first answer: a welcome, or the waiting room. */
  | { kind: "answered"; at: number }
  /** A welcome: in the meeting. */
  | { kind: "admitted"; at: number; path: MediaPath; alone: boolean }
  /** Someone else is in the meeting now. */
  | { kind: "company"; at: number }
  /** A peer connection or the SFU connected. */
  | { kind: "media_connected"; at: number; path: MediaPath }
  | { kind: "first_media"; at: number; path: MediaPath }
  | { kind: "alone_wait_over"; at: number; alone: boolean }
  | { kind: "attempt_failed"; at: number; path: MediaPath; outcome: "failed_ice" | "failed_sfu" }
  | { kind: "left"; at: number };

export interface JoinProgress {
  path: MediaPath;
  tokenRequestedAt: number | null;
  tokenReceivedAt: number | null;
  socketOpeningAt: number | null;
  answeredAt: number | null;
  admittedAt: number | null;
  companyAt: number | null;
  timingSent: boolean;
  outcomeSent: boolean;
}

export const initialJoinProgress: JoinProgress = {
  path: "p2p",
  tokenRequestedAt: null,
  tokenReceivedAt: null,
  socketOpeningAt: null,
  answeredAt: null,
  admittedAt: null,
  companyAt: null,
  timingSent: false,
  outcomeSent: false,
};

/** How long a participant who came in alone waits for company before reporting `firstMediaMs: null`. */
export const aloneWaitMs = 10_000;

const maxMillis = 600_000;

export function advance(
  progress: JoinProgress,
  mark: JoinMark,
  newId: () => string,
): { progress: JoinProgress; events: QualityEventFigures[] } {
  const events: QualityEventFigures[] = [];
  let next = "path" in mark ? { ...progress, path: mark.path } : { ...progress };
  const outcome = (result: ConnectionOutcome, endedAt: number) => {
    if (next.outcomeSent) return;
    next = { ...next, outcomeSent: true };
    const startedAt = next.tokenRequestedAt ?? endedAt;
    events.push({ kind: "connection_outcome", eventId: newId(), path: next.path, outcome: result, elapsedMs: millis(endedAt - startedAt) });
  };
  const timing = (firstMediaMs: number | null) => {
    if (next.timingSent || next.admittedAt === null) return;
    next = { ...next, timingSent: true };
    const tokenMs = span(next.tokenRequestedAt, next.tokenReceivedAt);
    const socketStart = Math.max(next.tokenReceivedAt ?? -Infinity, next.socketOpeningAt ?? -Infinity);
    const socketMs = span(Number.isFinite(socketStart) ? socketStart : null, next.answeredAt ?? next.admittedAt);
    events.push({ kind: "join_timing", eventId: newId(), path: next.path, tokenMs, socketMs, firstMediaMs });
  };

  switch (mark.kind) {
    case "token":
      next = { ...next, tokenRequestedAt: mark.requestedAt, tokenReceivedAt: mark.receivedAt };
      break;
    case "socket_opening":
      next = { ...next, socketOpeningAt: next.socketOpeningAt ?? mark.at };
      break;
    case "answered":
      next = { ...next, answeredAt: next.answeredAt ?? mark.at };
      break;
    case "admitted":
      if (next.admittedAt !== null) break; // a later welcome (after a reconnect) is not a new join
      next = { ...next, admittedAt: mark.at, answeredAt: next.answeredAt ?? mark.at, companyAt: mark.alone ? null : mark.at };
      break;
    case "company":
      next = { ...next, companyAt: next.companyAt ?? mark.at };
      break;
    case "media_connected":
      if (next.admittedAt !== null) outcome("joined", mark.at);
      break;
    case "first_media":
      if (next.admittedAt === null) break;
      outcome("joined", mark.at);
      timing(millis(mark.at - Math.max(next.admittedAt, next.companyAt ?? next.admittedAt)));
      break;
    case "alone_wait_over":
      if (!mark.alone || next.admittedAt === null) break;
      // Admitted with nobody to connect to: the join itself succeeded when the room let us in.
      outcome("joined", next.companyAt === null ? next.admittedAt : mark.at);
      timing(null);
      break;
    case "attempt_failed":
      outcome(mark.outcome, mark.at);
      break;
    case "left":
      outcome("gave_up", mark.at);
      break;
    default:
      mark satisfies never;
  }
  return { progress: next, events };
}

function span(from: number | null, to: number | null): number {
  return from === null || to === null ? 0 : millis(to - from);
}

function millis(value: number): number {
  return Number.isFinite(value) ? Math.round(Math.min(maxMillis, Math.max(0, value))) : 0;
}
