import { z } from "zod";
import { ConnectionQuality } from "./call-quality.ts";
import { QualityEventFigures, QualitySampleFigures } from "./quality-telemetry.ts";
import { RecordingLayout } from "./recording-indicator.ts";
import { assignableRoles } from "./roles.ts";
import { storableLine, storableText } from "./text.ts";

/**
 * Client -> server frames of the meeting-room protocol. Every frame carries a client-chosen `id` so
 * an `error` frame can point at it (`ref`). Limits here are the protocol's, enforced before any state changes.
 */
export const maxFrameBytes = 64 * 1024;

const frameId = z.string().min(1).max(64);
const identity = z.string().min(1).max(128);
const base = { id: frameId };

const sessionDescription = z.object({
  kind: z.enum(["offer", "answer"]),
  sdp: z
    .string()
    .min(1)
    .max(32 * 1024),
});
const iceCandidate = z.object({
  kind: z.literal("ice"),
  candidate: z.object({
    candidate: z.string().max(1024),
    sdpMid: z.string().max(64).nullable().optional(),
    sdpMLineIndex: z.number().int().min(0).max(255).nullable().optional(),
    usernameFragment: z.string().max(256).nullable().optional(),
  }),
});

/** A public key for E2EE key agreement: only public JWK members are accepted, never `d`. */
const publicJwk = z.strictObject({
  kty: z.enum(["EC", "OKP"]),
  crv: z.enum(["P-256", "X25519"]),
  x: z.string().min(1).max(128),
  y: z.string().min(1).max(128).optional(),
  kid: z.string().max(64).optional(),
});

const attachmentRef = z.object({
  objectKey: storableLine().min(1).max(512),
  name: storableLine().min(1).max(256),
  contentType: z.string().min(1).max(128),
  sizeBytes: z.number().int().min(1),
});

export const clientFrameSchema = z.discriminatedUnion("type", [
  z.object({ ...base, type: z.literal("hello"), protocolVersion: z.number().int(), resumeFromSeq: z.number().int().min(0).optional() }),
  z.object({ ...base, type: z.literal("ping") }),
  /** The client's connection to the media server is failing (reconnecting): the room checks the node. */
  z.object({ ...base, type: z.literal("media_trouble") }),
  z.object({
    ...base,
    type: z.literal("signal"),
    to: identity,
    payload: z.discriminatedUnion("kind", [
      sessionDescription.extend({ kind: z.literal("offer") }),
      sessionDescription.extend({ kind: z.literal("answer") }),
      iceCandidate,
    ]),
  }),
  z.object({
    ...base,
    type: z.literal("presence"),
    audioMuted: z.boolean().optional(),
    videoMuted: z.boolean().optional(),
    handRaised: z.boolean().optional(),
    connectionQuality: ConnectionQuality.optional(),
  }),
  z
    .object({
      ...base,
      type: z.literal("chat_send"),
      clientMessageId: storableLine().min(8).max(64),
      body: storableText().max(8000),
      attachments: z.array(attachmentRef).max(5).default([]),
    })
    .refine((frame) => frame.body.trim().length > 0 || frame.attachments.length > 0, {
      message: "a message needs text or an attachment",
      path: ["body"],
    }),
  z.object({ ...base, type: z.literal("chat_edit"), messageSeq: z.number().int().min(1), body: storableText().min(1).max(8000) }),
  z.object({ ...base, type: z.literal("chat_delete"), messageSeq: z.number().int().min(1) }),
  z.object({
    ...base,
    type: z.literal("chat_react"),
    messageSeq: z.number().int().min(1),
    emoji: storableLine().min(1).max(16),
    on: z.boolean(),
  }),
  z.object({
    ...base,
    type: z.literal("chat_history"),
    beforeSeq: z.number().int().min(1).optional(),
    limit: z.number().int().min(1).max(100).default(50),
  }),
  z.object({
    ...base,
    type: z.literal("attachment_upload"),
    name: storableLine().min(1).max(256),
    contentType: z.string().min(1).max(128),
    sizeBytes: z.number().int().min(1),
  }),
  z.object({ ...base, type: z.literal("attachment_download"), objectKey: storableLine().min(1).max(512) }),
  z.object({ ...base, type: z.literal("mute"), target: identity, track: z.enum(["audio", "video"]) }),
  z.object({ ...base, type: z.literal("mute_all"), track: z.enum(["audio", "video"]) }),
  z.object({ ...base, type: z.literal("remove"), target: identity, reason: storableLine().max(200).optional() }),
  z.object({ ...base, type: z.literal("lock"), locked: z.boolean() }),
  z.object({ ...base, type: z.literal("end_meeting") }),
  z.object({ ...base, type: z.literal("set_role"), target: identity, role: z.enum(assignableRoles) }),
  z.object({ ...base, type: z.literal("spotlight"), target: identity.nullable() }),
  z.object({ ...base, type: z.literal("admit"), target: identity }),
  z.object({ ...base, type: z.literal("deny"), target: identity }),
  z.object({ ...base, type: z.literal("e2ee_publish_key"), publicKey: publicJwk }),
  /** Host: start, pause, resume or stop the meeting's recording. */
  z.object({
    ...base,
    type: z.literal("recording"),
    action: z.enum(["start", "pause", "resume", "stop"]),
    layout: RecordingLayout.optional(),
    consentRequired: z.boolean().optional(),
  }),
  /** Anyone: my answer to a recording that asks for consent (may change it later; declining deletes what was captured). */
  z.object({ ...base, type: z.literal("recording_consent"), accept: z.boolean() }),
  /** Host: never capture this participant (or capture them again). */
  z.object({ ...base, type: z.literal("recording_exclude"), target: identity, excluded: z.boolean() }),
  z.object({ ...base, type: z.literal("quality_sample"), ...QualitySampleFigures.shape }),
  z.object({ ...base, type: z.literal("quality_event"), event: QualityEventFigures }),
  z.object({
    ...base,
    type: z.literal("e2ee_key_package"),
    to: identity,
    keyId: z.number().int().min(0),
    // Opaque to the server: the media key encrypted for `to`; the DO relays it and never reads it.
    ciphertext: z.string().min(1).max(4096),
    iv: z.string().min(1).max(64),
  }),
]);

export type ClientFrame = z.infer<typeof clientFrameSchema>;
export type ClientFrameType = ClientFrame["type"];
export const clientFrameTypes = clientFrameSchema.options.map((option) => option.shape.type.value) as ClientFrameType[];
