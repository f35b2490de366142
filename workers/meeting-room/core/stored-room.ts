import { z } from "zod";
import { LocationHint } from "../../../protocol/location-hint.ts";
import { SfuSession } from "../../../protocol/media-events.ts";
import { rosterEntrySchema } from "../../../protocol/server-frames.ts";
import type { MediaPresence } from "./media-presence.ts";
import type { MediaMode } from "./media-mode.ts";
import type { Member, RoomState } from "./room-state.ts";
import { RecordingLayout, RecordingPhase } from "../../../protocol/recording-indicator.ts";
import type { RoomRecording } from "./recording-state.ts";

/**
 * What each entry the room reads back from Durable Object storage must look like (room-storage-layout.ts
 * checks every entry on load). The room wrote them itself, but a value written by an older version, or a bug,
 * is refused entry by entry instead of crashing the meeting or spreading through the state.
 */
export const storedMemberSchema = rosterEntrySchema.extend({
  connected: z.boolean(),
  lastSeenAt: z.number(),
  tokenId: z.string(),
  tokenExpiresAt: z.string(),
  mintedBy: z.string().optional(),
}) satisfies z.ZodType<Member>;

const settingsSchema = z.object({
  title: z.string(),
  waitingRoom: z.boolean(),
  maxParticipants: z.number().int().min(1),
  graceMs: z.number().min(0),
  heartbeatTimeoutMs: z.number().min(0),
  scheduledEndAt: z.number().nullable(),
  idleTimeoutMs: z.number().min(0),
  sfuThreshold: z.number().int().min(2),
  autoRecord: z.boolean().default(false),
  recordingConsent: z.boolean().default(false),
}) satisfies z.ZodType<RoomState["settings"]>;

const mediaPresenceSchema = z.object({
  sfuActive: z.boolean(),
  onSfu: z.record(z.string(), z.array(z.string())),
  egress: z.record(z.string(), z.string()),
  sessions: z.record(z.string(), SfuSession).optional(),
}) satisfies z.ZodType<MediaPresence>;

const nodeWatchSchema = z.object({
  probedAt: z.number(),
  awaitingProbe: z.boolean(),
  failures: z.number().int().min(0),
  troubleReports: z.record(z.string(), z.number()),
});

const mediaModeSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("p2p"), since: z.number().optional() }),
  z.object({
    kind: z.literal("placing"),
    excludeNodeId: z.string().optional(),
    p2pSince: z.number().optional(),
    failedAt: z.number().optional(),
  }),
  z.object({ kind: z.literal("sfu"), nodeId: z.string(), url: z.string(), watch: nodeWatchSchema.optional() }),
]) satisfies z.ZodType<MediaMode>;

const recorderMoveReason = z.enum(["recorder_lost", "sfu_moved"]);
const recordingSchema = z.object({
  id: z.string(),
  phase: RecordingPhase,
  startedBy: z.string(),
  startedAt: z.string(),
  layout: RecordingLayout,
  consentRequired: z.boolean(),
  consent: z.record(z.string(), z.enum(["accepted", "declined"])),
  excludedByHost: z.array(z.string()),
  recorderId: z.string().nullable(),
  requestedExcluded: z.array(z.string()),
  confirmedExcluded: z.array(z.string()),
  awaitingGrant: z.array(z.string()),
  stoppedBy: z.string().nullable(),
  capturingSince: z.string().nullable().default(null),
  watch: z.object({ nextCheckAt: z.number(), failures: z.number(), lastOkAt: z.number(), asking: z.boolean() }).optional(),
  moving: z.object({ reason: recorderMoveReason, from: z.string(), since: z.string(), asked: z.string().nullable() }).optional(),
  gaps: z.array(z.object({ reason: recorderMoveReason, from: z.string(), to: z.string() })).optional(),
}) satisfies z.ZodType<RoomRecording>;

/** The `meta` entry (room-storage-layout.ts `RoomMeta`); fields added after version 2 was first stored are optional. */
export const storedMetaSchema = z.object({
  version: z.literal(2),
  meetingId: z.string().min(1),
  tenantId: z.string().optional(),
  settings: settingsSchema,
  endedReason: z.string().nullable(),
  chatSeq: z.number().int().min(0),
  spotlight: z.string().nullable(),
  media: mediaPresenceSchema.optional(),
  mediaMode: mediaModeSchema.optional(),
  locationHint: LocationHint.nullable().optional(),
  recording: recordingSchema.nullable().optional(),
  session: z.object({ startedAt: z.string(), peakParticipants: z.number().int().min(0), emptySince: z.number().nullable() }).nullable(),
  frames: z.object({
    limits: z.object({ maxEntries: z.number().int().min(1), maxAgeMs: z.number().positive() }),
    lastSeq: z.number().int().min(0),
    evictedThrough: z.number().int().min(0),
  }),
  chat: z.object({ windowSize: z.number().int().min(1), olderInStorage: z.boolean() }),
});

export const storedE2eeKeysSchema = z.record(z.string(), z.record(z.string(), z.string())) satisfies z.ZodType<RoomState["e2eeKeys"]>;
