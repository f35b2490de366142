import { z } from "zod";
import { serverFrameSchema, type ServerFrame, type UnsequencedFrame } from "../../../protocol/server-frames.ts";

/**
 * The meeting's outgoing frame sequencer and bounded replay buffer. Every server -> client frame gets the
 * next `seq` here and is remembered with its audience, so a client that reconnects with `resumeFromSeq`
 * can be sent exactly the frames addressed to it that it missed, or be told to take a full snapshot.
 *
 * Immutable: every function returns a new log and never changes its argument, which is how the DO tells
 * which entries to write (room-storage-layout.ts); copying the bounded entry array is cheap next to that.
 *
 * Audience rule: a frame is recorded with the audience it was addressed to, not with the roster of the
 * moment. `all` therefore matches every identity, including one that joined after the frame was sent.
 * `framesSince(identity, lastSeq)` is only meaningful for an identity that was in the meeting at `lastSeq`
 * and has stayed in it (disconnected within the grace window); the DO guarantees that, this module does not.
 */

export type Audience = { kind: "all" } | { kind: "only"; identities: string[] } | { kind: "all_except"; identities: string[] };

export interface FrameLogLimits {
  /** Most frames kept for replay; older ones are evicted first. */
  maxEntries: number;
  /** Frames older than this (ms since appended) can no longer be replayed. */
  maxAgeMs: number;
}

export interface FrameLogEntry {
  /** When the frame was appended (ms, as passed in); never decreases along the log. */
  at: number;
  audience: Audience;
  frame: ServerFrame;
}

export interface FrameLog {
  limits: FrameLogLimits;
  /** Highest seq issued so far; 0 before the first frame. */
  lastSeq: number;
  /** Highest seq no longer held; entries hold exactly seqs evictedThrough+1 … lastSeq. */
  evictedThrough: number;
  entries: readonly FrameLogEntry[];
}

export type ReplayResult = { kind: "replay"; frames: ServerFrame[] } | { kind: "snapshot_required"; reason: SnapshotReason };

export type SnapshotReason =
  | "evicted" // some frame after lastSeq is gone (by count or by age)
  | "ahead_of_log" // lastSeq was never issued: a confused or lying client
  | "invalid_seq"; // negative or not an integer

export function createFrameLog(options: FrameLogLimits & { startAfterSeq?: number }): FrameLog {
  const { maxEntries, maxAgeMs, startAfterSeq = 0 } = options;
  if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError("maxEntries must be a positive integer");
  if (!Number.isFinite(maxAgeMs) || maxAgeMs <= 0) throw new RangeError("maxAgeMs must be a positive finite number");
  // A log rebuilt after lost storage must continue the old numbering: reusing a seq would let a client
  // resume into frames it never saw. Everything up to startAfterSeq counts as evicted.
  if (!Number.isSafeInteger(startAfterSeq) || startAfterSeq < 0) throw new RangeError("startAfterSeq must be a non-negative integer");
  return { limits: { maxEntries, maxAgeMs }, lastSeq: startAfterSeq, evictedThrough: startAfterSeq, entries: [] };
}

export function appendFrame(
  log: FrameLog,
  frame: UnsequencedFrame,
  audience: Audience,
  now: number,
): { log: FrameLog; seq: number; frame: ServerFrame } {
  if (!Number.isFinite(now)) throw new RangeError("now must be a finite number");
  const seq = log.lastSeq + 1;
  // The spread of a distributive Omit<ServerFrame, "seq"> plus `seq` is a ServerFrame; TS can't see through it.
  const sequenced = { ...frame, seq } as ServerFrame;
  const previousAt = log.entries.at(-1)?.at ?? -Infinity;
  // Clamp so a clock that steps back can't make a newer entry look older than an evicted one.
  const at = Math.max(now, previousAt);
  const entry: FrameLogEntry = { at, audience: copyAudience(audience), frame: sequenced };
  // Pruned as it grows, in one copy of the entries (this runs for every frame of a busy room).
  const drop = entriesToDrop(log, now, 1);
  const entries = log.entries.slice(drop);
  entries.push(entry);
  return { log: { ...log, lastSeq: seq, evictedThrough: log.evictedThrough + drop, entries }, seq, frame: sequenced };
}

/** Drops entries beyond maxEntries or older than maxAgeMs. The DO may call it before persisting. */
export function pruneFrameLog(log: FrameLog, now: number): FrameLog {
  const drop = entriesToDrop(log, now, 0);
  if (drop === 0) return log;
  return { ...log, evictedThrough: log.evictedThrough + drop, entries: log.entries.slice(drop) };
}

/**
 * How many of the oldest entries go so that `adding` more fit within maxEntries and none older than maxAgeMs
 * stays. An added entry is never expired (its `at` is now or later), so it counts only towards maxEntries.
 */
function entriesToDrop(log: FrameLog, now: number, adding: number): number {
  return Math.max(0, log.entries.length + adding - log.limits.maxEntries, countExpired(log, now));
}

/**
 * Frames addressed to `identity` with seq > lastSeq, in order — or why a snapshot is needed instead.
 * Replay is only offered when every frame after lastSeq is still held, so the answer has no gaps.
 */
export function framesSince(log: FrameLog, identity: string, lastSeq: number, now: number): ReplayResult {
  if (!Number.isSafeInteger(lastSeq) || lastSeq < 0) return { kind: "snapshot_required", reason: "invalid_seq" };
  if (lastSeq > log.lastSeq) return { kind: "snapshot_required", reason: "ahead_of_log" };
  // Expired entries may still sit in the array until the next append; treat them as gone already.
  const heldFrom = log.evictedThrough + countExpired(log, now);
  if (lastSeq < heldFrom) return { kind: "snapshot_required", reason: "evicted" };
  const start = lastSeq - log.evictedThrough;
  const frames: ServerFrame[] = [];
  for (let i = start; i < log.entries.length; i++) {
    const entry = log.entries[i]!;
    if (isAddressedTo(entry.audience, identity)) frames.push(entry.frame);
  }
  return { kind: "replay", frames };
}

export function isAddressedTo(audience: Audience, identity: string): boolean {
  switch (audience.kind) {
    case "all":
      return true;
    case "only":
      return audience.identities.includes(identity);
    case "all_except":
      return !audience.identities.includes(identity);
    default:
      return audience satisfies never;
  }
}

/** Entries at the front that are older than maxAgeMs; entries are in `at` order, so they are a prefix. */
function countExpired(log: FrameLog, now: number): number {
  let n = 0;
  while (n < log.entries.length && now - log.entries[n]!.at > log.limits.maxAgeMs) n++;
  return n;
}

function copyAudience(audience: Audience): Audience {
  return audience.kind === "all" ? { kind: "all" } : { kind: audience.kind, identities: [...audience.identities] };
}

// ---- Persisted form: what the DO writes to and reads back from its storage. ----

const audienceSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("all") }),
  z.object({ kind: z.literal("only"), identities: z.array(z.string()) }),
  z.object({ kind: z.literal("all_except"), identities: z.array(z.string()) }),
]);

export const persistedFrameLogSchema = z
  .object({
    version: z.literal(1),
    limits: z.object({ maxEntries: z.number().int().min(1), maxAgeMs: z.number().positive() }),
    lastSeq: z.number().int().min(0),
    evictedThrough: z.number().int().min(0),
    entries: z.array(z.object({ at: z.number(), audience: audienceSchema, frame: serverFrameSchema })),
  })
  .superRefine((value, ctx) => {
    // Replay exactness depends on these invariants, so a log that breaks them is refused, not repaired.
    if (value.evictedThrough + value.entries.length !== value.lastSeq) {
      ctx.addIssue({ code: "custom", message: "entries must hold exactly seqs evictedThrough+1 … lastSeq" });
      return;
    }
    value.entries.forEach((entry, i) => {
      if (entry.frame.seq !== value.evictedThrough + i + 1) {
        ctx.addIssue({ code: "custom", path: ["entries", i, "frame", "seq"], message: "seqs must be consecutive" });
      }
      const previous = value.entries[i - 1];
      if (previous && entry.at < previous.at) {
        ctx.addIssue({ code: "custom", path: ["entries", i, "at"], message: "entries must be in time order" });
      }
    });
  });

export type PersistedFrameLog = z.infer<typeof persistedFrameLogSchema>;

export function frameLogToJSON(log: FrameLog): PersistedFrameLog {
  return { version: 1, limits: { ...log.limits }, lastSeq: log.lastSeq, evictedThrough: log.evictedThrough, entries: [...log.entries] };
}

/** Parses a stored log. On failure the DO should rebuild with `createFrameLog({ startAfterSeq })`. */
export function frameLogFromJSON(value: unknown): { ok: true; log: FrameLog } | { ok: false; error: string } {
  const parsed = persistedFrameLogSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, error: `${issue?.path.join(".") || "log"}: ${issue?.message ?? "invalid"}` };
  }
  const { limits, lastSeq, evictedThrough, entries } = parsed.data;
  return { ok: true, log: { limits, lastSeq, evictedThrough, entries } };
}
