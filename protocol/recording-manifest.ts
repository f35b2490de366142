import { z } from "zod";
import { MeetingId, ParticipantIdentity, TenantId } from "./ids.ts";
import { storableLine } from "./text.ts";

/**
 * A recording's manifest: what the track recorder writes to S3 when a recording ends and what the compositing
 * Lambda reads (issue 13). Times are wall-clock ms since the epoch on the recorder's clock; every file's span is
 * when its first and last sample were captured, so the compositor can line tracks up without probing them.
 */

const epochMs = z
  .number()
  .int()
  .min(0)
  .max(Date.UTC(9999, 11, 31));

/** A half-open wall-clock span [from, to). */
const span = z.object({ from: epochMs, to: epochMs }).refine((s) => s.to > s.from, { message: "to must be after from", path: ["to"] });

export const RecordingExclusion = z.enum(["declined", "excluded_by_host"]);
export type RecordingExclusion = z.infer<typeof RecordingExclusion>;

export const RecordingParticipant = z.object({
  identity: ParticipantIdentity,
  name: storableLine().max(128),
  /** Set when the participant was never captured: the recorder did not subscribe to any of their tracks. */
  excluded: z.object({ reason: RecordingExclusion }).nullable(),
});
export type RecordingParticipant = z.infer<typeof RecordingParticipant>;

/** One uploaded chunk of a track, in capture order. */
export const RecordingFile = z
  .object({
    key: storableLine().min(1).max(1024),
    startedAt: epochMs,
    endedAt: epochMs,
  })
  .refine((f) => f.endedAt > f.startedAt, { message: "endedAt must be after startedAt", path: ["endedAt"] });
export type RecordingFile = z.infer<typeof RecordingFile>;

/**
 * Each codec's container as the recorder writes it without transcoding. H.264 goes in IVF too (fourcc H264, each
 * frame an Annex B access unit stamped with its RTP time): raw Annex B has no timestamps.
 */
export const containerOfCodec = { vp8: "ivf", h264: "ivf", opus: "ogg" } as const;
export type TrackCodec = keyof typeof containerOfCodec;
const kindOfSource = { camera: "video", screen: "video", mic: "audio" } as const;
const kindOfCodec = { vp8: "video", h264: "video", opus: "audio" } as const;

export const RecordingTrack = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1-64 letters, digits, '_' or '-'"),
    participant: ParticipantIdentity,
    kind: z.enum(["audio", "video"]),
    source: z.enum(["camera", "screen", "mic"]),
    codec: z.enum(["vp8", "h264", "opus"]),
    container: z.enum(["ivf", "ogg"]),
    files: z.array(RecordingFile).min(1),
  })
  .superRefine((t, ctx) => {
    if (kindOfSource[t.source] !== t.kind)
      ctx.addIssue({ code: "custom", message: `a ${t.source} track is ${kindOfSource[t.source]}`, path: ["source"] });
    if (kindOfCodec[t.codec] !== t.kind) ctx.addIssue({ code: "custom", message: `${t.codec} is not a ${t.kind} codec`, path: ["codec"] });
    if (containerOfCodec[t.codec] !== t.container)
      ctx.addIssue({ code: "custom", message: `${t.codec} is written as ${containerOfCodec[t.codec]}`, path: ["container"] });
    t.files.forEach((f, i) => {
      const previous = t.files[i - 1];
      if (previous && f.startedAt < previous.endedAt)
        ctx.addIssue({ code: "custom", message: "files must be in order and not overlap", path: ["files", i, "startedAt"] });
    });
  });
export type RecordingTrack = z.infer<typeof RecordingTrack>;

/** Who the SFU rated the active speaker, for the speaker layout; spans may leave gaps (nobody speaking). */
export const SpeakerSpan = z.object({ participant: ParticipantIdentity, from: epochMs, to: epochMs });
export type SpeakerSpan = z.infer<typeof SpeakerSpan>;

export const RecordingOutputRequest = z.object({
  layout: z.enum(["grid", "speaker"]),
  resolution: z.literal("1080p"),
  fps: z.literal(30),
});
export type RecordingOutputRequest = z.infer<typeof RecordingOutputRequest>;

export const RecordingManifest = z
  .object({
    version: z.literal(1),
    recordingId: z.uuid(),
    tenantId: TenantId,
    meetingId: MeetingId,
    startedAt: epochMs,
    endedAt: epochMs,
    participants: z.array(RecordingParticipant).max(1000),
    tracks: z.array(RecordingTrack).max(4000),
    /** Spans in which nothing was captured (recording paused); the composite skips them. */
    paused: z.array(span).max(1000),
    /**
     * Spans whose media never reached S3: the recorder holding the capture was lost and another continued the
     * recording from the last manifest. Not cut out: the composite shows them as a gap (no video, no sound).
     */
    lost: z.array(span).max(1000).default([]),
    speakers: z.array(SpeakerSpan).max(100_000).default([]),
    output: RecordingOutputRequest,
  })
  .superRefine((m, ctx) => {
    const issue = (message: string, path: (string | number)[]) => ctx.addIssue({ code: "custom", message, path });
    if (m.endedAt <= m.startedAt) issue("endedAt must be after startedAt", ["endedAt"]);
    const people = new Map<string, RecordingParticipant>();
    m.participants.forEach((p, i) => {
      if (people.has(p.identity)) issue("participants must be distinct", ["participants", i, "identity"]);
      people.set(p.identity, p);
    });
    const ids = new Set<string>();
    m.tracks.forEach((t, i) => {
      if (ids.has(t.id)) issue("track ids must be distinct", ["tracks", i, "id"]);
      ids.add(t.id);
      const owner = people.get(t.participant);
      if (!owner) issue("track of a participant not in the manifest", ["tracks", i, "participant"]);
      else if (owner.excluded) issue("an excluded participant has no tracks", ["tracks", i, "participant"]);
      t.files.forEach((f, j) => {
        if (f.startedAt < m.startedAt || f.endedAt > m.endedAt) issue("file outside the recording", ["tracks", i, "files", j]);
      });
    });
    const pauses = [...m.paused].sort((a, b) => a.from - b.from);
    pauses.forEach((p, i) => {
      if (p.from < m.startedAt || p.to > m.endedAt) issue("paused span outside the recording", ["paused"]);
      const previous = pauses[i - 1];
      if (previous && p.from < previous.to) issue("paused spans must be disjoint", ["paused"]);
    });
    m.lost.forEach((l, i) => {
      if (l.from < m.startedAt || l.to > m.endedAt) issue("lost span outside the recording", ["lost", i]);
    });
    m.speakers.forEach((s, i) => {
      if (s.to <= s.from) issue("to must be after from", ["speakers", i, "to"]);
      if (!people.has(s.participant)) issue("speaker not in the manifest", ["speakers", i, "participant"]);
    });
  });
export type RecordingManifest = z.infer<typeof RecordingManifest>;
