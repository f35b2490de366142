import { z } from "zod";
import { ConnectionQuality } from "./call-quality.ts";
import { protocolVersion } from "./protocol-version.ts";
import { roomErrorCodes } from "./room-errors.ts";
import { ParticipantRole } from "./roles.ts";
import { RecordingIndicator } from "./recording-indicator.ts";

/**
 * Server -> client frames. Every frame carries `seq`, the meeting's own sequence number: a client that
 * reconnects with `resumeFromSeq` gets exactly the frames addressed to it after that number.
 */

export const rosterEntrySchema = z.object({
  identity: z.string(),
  name: z.string().optional(),
  role: ParticipantRole,
  audioMuted: z.boolean(),
  videoMuted: z.boolean(),
  handRaised: z.boolean(),
  connectionQuality: ConnectionQuality,
  joinedAt: z.string(),
});

export const chatMessageSchema = z.object({
  seq: z.number().int(),
  clientMessageId: z.string(),
  sender: z.string(),
  body: z.string(),
  attachments: z.array(z.object({ objectKey: z.string(), name: z.string(), contentType: z.string(), sizeBytes: z.number() })),
  reactions: z.record(z.string(), z.array(z.string())),
  sentAt: z.string(),
  editedAt: z.string().nullable(),
  deleted: z.boolean(),
});

const iceServerSchema = z.object({ urls: z.array(z.string()), username: z.string().optional(), credential: z.string().optional() });
const publicKeySchema = z.record(z.string(), z.string());
const seq = { seq: z.number().int().min(1) };

export const serverFrameSchema = z.discriminatedUnion("type", [
  z.object({
    ...seq,
    type: z.literal("welcome"),
    protocolVersion: z.literal(protocolVersion),
    meetingId: z.string(),
    title: z.string(),
    self: rosterEntrySchema,
    roster: z.array(rosterEntrySchema),
    lobby: z.array(z.object({ identity: z.string(), name: z.string().optional(), waitingSince: z.string() })),
    recentChat: z.array(chatMessageSchema),
    iceServers: z.array(iceServerSchema),
    locked: z.boolean(),
    spotlight: z.string().nullable(),
    e2eePublicKeys: z.record(z.string(), publicKeySchema),
    /** p2p: connect to each peer with `signal`; sfu: wait for `sfu_join` and connect to the media server. */
    mediaMode: z.enum(["p2p", "sfu"]),
    /** The meeting's recording, if one runs: a page must show it (recording-indicator.ts). */
    recording: RecordingIndicator.nullable(),
  }),
  z.object({ ...seq, type: z.literal("resumed"), fromSeq: z.number().int() }),
  z.object({ ...seq, type: z.literal("waiting_room") }),
  z.object({ ...seq, type: z.literal("participant_joined"), participant: rosterEntrySchema }),
  z.object({ ...seq, type: z.literal("participant_updated"), participant: rosterEntrySchema }),
  z.object({ ...seq, type: z.literal("participant_left"), identity: z.string(), reason: z.enum(["left", "removed", "timeout", "ended"]) }),
  z.object({
    ...seq,
    type: z.literal("lobby_updated"),
    lobby: z.array(z.object({ identity: z.string(), name: z.string().optional(), waitingSince: z.string() })),
  }),
  z.object({ ...seq, type: z.literal("denied") }),
  z.object({ ...seq, type: z.literal("signal"), from: z.string(), payload: z.unknown() }),
  z.object({ ...seq, type: z.literal("chat_message"), message: chatMessageSchema }),
  z.object({ ...seq, type: z.literal("chat_updated"), message: chatMessageSchema }),
  z.object({ ...seq, type: z.literal("chat_history"), ref: z.string(), messages: z.array(chatMessageSchema), hasMore: z.boolean() }),
  z.object({
    ...seq,
    type: z.literal("attachment_upload"),
    ref: z.string(),
    objectKey: z.string(),
    uploadUrl: z.string(),
    expiresAt: z.string(),
  }),
  z.object({
    ...seq,
    type: z.literal("attachment_download"),
    ref: z.string(),
    objectKey: z.string(),
    downloadUrl: z.string(),
    expiresAt: z.string(),
  }),
  z.object({ ...seq, type: z.literal("muted"), track: z.enum(["audio", "video"]), by: z.string() }),
  z.object({ ...seq, type: z.literal("removed"), by: z.string(), reason: z.string().optional() }),
  z.object({ ...seq, type: z.literal("meeting_locked"), locked: z.boolean(), by: z.string() }),
  z.object({ ...seq, type: z.literal("spotlight"), target: z.string().nullable(), by: z.string() }),
  z.object({ ...seq, type: z.literal("e2ee_key"), identity: z.string(), publicKey: publicKeySchema }),
  z.object({
    ...seq,
    type: z.literal("e2ee_key_package"),
    from: z.string(),
    keyId: z.number().int(),
    ciphertext: z.string(),
    iv: z.string(),
  }),
  z.object({ ...seq, type: z.literal("e2ee_rotate"), reason: z.enum(["participant_left", "participant_removed"]), identity: z.string() }),
  z.object({ ...seq, type: z.literal("pong"), ref: z.string() }),
  z.object({ ...seq, type: z.literal("media_mode"), mode: z.enum(["p2p", "sfu"]), reason: z.string().optional() }),
  /** Credentials for the media server; a new one while connected means: move to this server now. */
  z.object({ ...seq, type: z.literal("sfu_join"), url: z.string(), token: z.string(), expiresAt: z.string() }),
  z.object({ ...seq, type: z.literal("media_state"), sfuActive: z.boolean(), onSfu: z.record(z.string(), z.array(z.string())) }),
  z.object({ ...seq, type: z.literal("meeting_ended"), reason: z.string() }),
  /** The recording started, changed (phase, who is captured) or ended (`null`). */
  z.object({ ...seq, type: z.literal("recording_state"), recording: RecordingIndicator.nullable() }),
  /** To hosts still in the meeting: a recording of it is ready; `playbackUrl` is a signed HLS master playlist. */
  z.object({ ...seq, type: z.literal("recording_ready"), recordingId: z.uuid(), playbackUrl: z.string(), expiresAt: z.string() }),
  z.object({ ...seq, type: z.literal("error"), code: z.enum(roomErrorCodes), message: z.string(), ref: z.string().optional() }),
]);

export type ServerFrame = z.infer<typeof serverFrameSchema>;
export type RosterEntry = z.infer<typeof rosterEntrySchema>;
export type ChatMessage = z.infer<typeof chatMessageSchema>;
/** A frame before the room stamps its sequence number. */
export type UnsequencedFrame = ServerFrame extends infer F ? (F extends ServerFrame ? Omit<F, "seq"> : never) : never;

/**
 * How soon the room sends each frame type. `chat` frames may wait out the room's coalescing window under load;
 * every `control` frame (joins, host controls, signalling, errors, pongs) flushes its socket's queue at the end
 * of the turn, so a room saturated with chat cannot delay its own joins and host actions. Exhaustive: a new
 * frame type must be classified here.
 */
export const frameUrgency = {
  welcome: "control",
  resumed: "control",
  waiting_room: "control",
  participant_joined: "control",
  participant_updated: "control",
  participant_left: "control",
  lobby_updated: "control",
  denied: "control",
  signal: "control",
  chat_message: "chat",
  chat_updated: "chat",
  chat_history: "chat",
  attachment_upload: "chat",
  attachment_download: "chat",
  muted: "control",
  removed: "control",
  meeting_locked: "control",
  spotlight: "control",
  e2ee_key: "control",
  e2ee_key_package: "control",
  e2ee_rotate: "control",
  pong: "control",
  media_mode: "control",
  sfu_join: "control",
  media_state: "control",
  meeting_ended: "control",
  recording_state: "control",
  recording_ready: "control",
  error: "control",
} as const satisfies Record<ServerFrame["type"], "control" | "chat">;

export function isControlFrame(type: ServerFrame["type"]): boolean {
  return frameUrgency[type] === "control";
}

/**
 * One WebSocket message from the room: a single frame, or a `batch` of frames in `seq` order when the room had
 * several queued for the same socket (a busy room sends one message, and compresses once, instead of one per
 * frame). A batch is only an envelope: it has no `seq` of its own, and resume replays the frames inside it.
 */
export const serverBatchSchema = z.object({ type: z.literal("batch"), frames: z.array(serverFrameSchema).min(1) });
export const serverMessageSchema = z.discriminatedUnion("type", [serverBatchSchema, serverFrameSchema]);
export type ServerBatch = z.infer<typeof serverBatchSchema>;
export type ServerMessage = z.infer<typeof serverMessageSchema>;

/** The frames one message carries, in the order they were sent. */
export function framesOf(message: ServerMessage): ServerFrame[] {
  return message.type === "batch" ? message.frames : [message];
}
