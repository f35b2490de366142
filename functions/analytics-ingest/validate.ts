import type { z } from "zod";
import {
  AnalyticsBatch,
  AnalyticsEvent,
  AnalyticsSample,
  AnalyticsSession,
  type IngestResult,
  type RejectedRecord,
} from "../../protocol/analytics-batch.ts";

/**
 * The invocation event checked at the boundary: the envelope as a whole (a bad one is refused and nothing is
 * written: retrying it cannot help), then each record on its own (a bad one is reported by list and index, the
 * rest go on). Pure.
 */

const hourMs = 3_600_000;

/** How far a record's time may lie from its batch's `createdAt`. */
export const recordWindow = {
  /** The room closes a batch seconds after its first record; a day is generous and bounds the partitions touched. */
  maxAgeMs: 24 * hourMs,
  /** The room stamps records and batches with one clock: a record after its batch is a bug, a little skew is not. */
  maxAheadMs: 5 * 60_000,
  /** A session longer than this is refused: its split over hours is bounded (and no call lasts a week). */
  maxSessionMs: 7 * 24 * hourMs,
} as const;

/** Issues listed in a result, at most (a garbage event can have thousands). */
const maxIssues = 20;

export type Envelope = Omit<AnalyticsBatch, "samples" | "events" | "sessions">;

/** A record that passed, with its place in the batch (rejections and duplicates are reported by it). */
export interface Indexed<T> {
  index: number;
  record: T;
}

export interface ValidBatch {
  envelope: Envelope;
  samples: Indexed<AnalyticsSample>[];
  events: Indexed<AnalyticsEvent>[];
  sessions: Indexed<AnalyticsSession>[];
  rejected: RejectedRecord[];
}

export type InvalidEvent = Extract<IngestResult, { ok: false }>;
export type Validation = { ok: true; batch: ValidBatch } | InvalidEvent;

export function validateBatch(event: unknown): Validation {
  const parsed = AnalyticsBatch.safeParse(event);
  if (!parsed.success) {
    return {
      ok: false,
      error: { code: "invalid_event", message: "the event is not an analytics batch", issues: describeIssues(parsed.error.issues) },
    };
  }
  const { samples, events, sessions, ...envelope } = parsed.data;
  const rejected: RejectedRecord[] = [];
  const check = <T>(list: RejectedRecord["list"], records: unknown[], schema: z.ZodType<T>, times: (r: T) => string[]) => {
    const valid: Indexed<T>[] = [];
    records.forEach((raw, index) => {
      const result = schema.safeParse(raw);
      const issues = result.success ? times(result.data) : describeIssues(result.error.issues);
      if (result.success && issues.length === 0) valid.push({ index, record: result.data });
      else rejected.push({ list, index, issues });
    });
    return valid;
  };
  const received = (r: { receivedAt: number }) => timeIssues("receivedAt", r.receivedAt, envelope.createdAt);
  return {
    ok: true,
    batch: {
      envelope,
      samples: check("samples", samples, AnalyticsSample, received),
      events: check("events", events, AnalyticsEvent, received),
      sessions: check("sessions", sessions, AnalyticsSession, (s) => [
        ...timeIssues("leftAt", s.leftAt, envelope.createdAt),
        ...(s.leftAt - s.joinedAt > recordWindow.maxSessionMs
          ? [`joinedAt: the session is longer than ${recordWindow.maxSessionMs / hourMs} h`]
          : []),
      ]),
      rejected,
    },
  };
}

function timeIssues(field: string, at: number, createdAt: number): string[] {
  if (at > createdAt + recordWindow.maxAheadMs) return [`${field}: after the batch's createdAt`];
  if (at < createdAt - recordWindow.maxAgeMs)
    return [`${field}: more than ${recordWindow.maxAgeMs / hourMs} h before the batch's createdAt`];
  return [];
}

/** zod's issues as `path: message` lines, the first few only. */
function describeIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  const lines = issues.slice(0, maxIssues).map((issue) => `${issue.path.map(String).join(".") || "(event)"}: ${issue.message}`);
  if (issues.length > maxIssues) lines.push(`… and ${issues.length - maxIssues} more`);
  return lines;
}
