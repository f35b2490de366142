/**
 * Whether the recorder holding a recording still holds it (issue 13). The room asks the recorder for the
 * capture's status on its own alarm rather than waiting for the recorder to push: a recorder that died pushes
 * nothing, so noticing its silence needs the same timer anyway, and the room (which knows what should be
 * captured) stays the only side that decides. Pure: the shell makes the call and reports the outcome.
 *
 * A check every 3 s; after a failed one, again after 1 s; three failures in a row (unreachable, or the recorder
 * no longer has the capture) and the recorder is lost: about 5 s from the crash to the decision.
 */
export const recorderCheckEveryMs = 3_000;
export const recorderRecheckAfterFailureMs = 1_000;
export const recorderLostAfterFailures = 3;
/** A check asked and never answered (the isolate died with it) counts as not asked after this long. */
export const recorderCheckAnswerTimeoutMs = 15_000;

export interface RecorderWatch {
  /** When the next check is due (or, while one is in flight, when it is given up on). */
  nextCheckAt: number;
  /** Failed checks in a row. */
  failures: number;
  /** The last time the recorder said it holds the capture. */
  lastOkAt: number;
  asking: boolean;
}

export const watchRecorder = (now: number): RecorderWatch => ({
  nextCheckAt: now + recorderCheckEveryMs,
  failures: 0,
  lastOkAt: now,
  asking: false,
});

export const checkDue = (watch: RecorderWatch, now: number): boolean => now >= watch.nextCheckAt;

export const checkAsked = (watch: RecorderWatch, now: number): RecorderWatch => ({
  ...watch,
  asking: true,
  nextCheckAt: now + recorderCheckAnswerTimeoutMs,
});

/** A check's outcome: the watch after it, and whether the recorder is now declared lost. */
export function observeCheck(watch: RecorderWatch, holdsCapture: boolean, now: number): { watch: RecorderWatch; lost: boolean } {
  if (holdsCapture) return { watch: { nextCheckAt: now + recorderCheckEveryMs, failures: 0, lastOkAt: now, asking: false }, lost: false };
  const failures = watch.failures + 1;
  return {
    watch: { ...watch, failures, asking: false, nextCheckAt: now + recorderRecheckAfterFailureMs },
    lost: failures >= recorderLostAfterFailures,
  };
}
