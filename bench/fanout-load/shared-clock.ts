/**
 * Milliseconds on the monotonic clock every thread of this process shares: a message stamped by one load thread
 * and received by another is timed without the per-thread offset of `performance.now()` (each worker thread has
 * its own `timeOrigin`).
 */
export const sharedNow = (): number => Number(process.hrtime.bigint()) / 1e6;
