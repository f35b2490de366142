import { z } from "zod";
import { ParticipantRole } from "../../../protocol/roles.ts";
import type { RoomEffect } from "./room-transition.ts";
import { RecordingLayout } from "../../../protocol/recording-indicator.ts";

/**
 * The Postgres writes that feed billing (joins, leaves, session ends, SFU usage): the reducer emits them as
 * effects, the store keeps each as a `record:<n>` entry in the same transaction as the state change, and the
 * record outbox writes them in order.
 */
export type RoomRecordEffect = Extract<
  RoomEffect,
  { kind: "record_join" | "record_leave" | "record_session_end" | "record_usage" | "record_lobby_decision" | "record_recording" }
>;

export const isRecordEffect = (effect: RoomEffect): effect is RoomRecordEffect =>
  effect.kind === "record_join" ||
  effect.kind === "record_leave" ||
  effect.kind === "record_session_end" ||
  effect.kind === "record_usage" ||
  effect.kind === "record_lobby_decision" ||
  effect.kind === "record_recording";

export interface PendingRecord {
  /** Its `record:<n>` storage key: the outbox's order. */
  key: string;
  /** Stable row id: a retried flush inserts the same row, so it lands exactly once. */
  id: string;
  effect: RoomRecordEffect;
}

const otherRecordSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("record_lobby_decision"),
    identity: z.string(),
    decision: z.enum(["admitted", "denied"]),
    by: z.string(),
    at: z.string(),
  }),
  z.object({ kind: z.literal("record_join"), identity: z.string(), role: ParticipantRole, name: z.string().optional(), at: z.string() }),
  z.object({
    kind: z.literal("record_leave"),
    identity: z.string(),
    at: z.string(),
    reason: z.enum(["left", "removed", "timeout", "ended"]),
  }),
  z.object({
    kind: z.literal("record_session_end"),
    startedAt: z.string(),
    endedAt: z.string(),
    peakParticipants: z.number().int().min(0),
    reason: z.string(),
  }),
  z.object({
    kind: z.literal("record_usage"),
    usage: z.object({
      kind: z.enum(["sfu_participant_seconds", "p2p_participant_seconds"]),
      quantity: z.number(),
      sourceId: z.string(),
      periodStart: z.string(),
      periodEnd: z.string(),
    }),
  }),
]);

/** A recording's changes share one `kind`, so they are told apart by `change`. */
const base = { kind: z.literal("record_recording"), recordingId: z.uuid(), at: z.string(), by: z.string() };
const recordingRecordSchema = z.discriminatedUnion("change", [
  z.object({ ...base, change: z.literal("started"), layout: RecordingLayout, title: z.string() }),
  z.object({ ...base, change: z.literal("resumed") }),
  z.object({ ...base, change: z.literal("paused"), capturedSince: z.string().nullable() }),
  z.object({ ...base, change: z.literal("stopped"), manifestKey: z.string().min(1), capturedSince: z.string().nullable() }),
  z.object({ ...base, change: z.literal("failed"), reason: z.string() }),
  z.object({
    ...base,
    change: z.literal("gap"),
    reason: z.enum(["recorder_lost", "sfu_moved"]),
    from: z.string(),
    to: z.string(),
    recorderId: z.string(),
  }),
]);

const recordEffectSchema = z.union([otherRecordSchema, recordingRecordSchema]) satisfies z.ZodType<RoomRecordEffect>;

/** A `record:<n>` entry as stored. */
export const storedRecordSchema = z.object({ id: z.string().min(1), effect: recordEffectSchema });
