import { z } from "zod";
import { hlsLadder, type VideoRung } from "./renditions.ts";
import type { Segment } from "./segment-plan.ts";

/**
 * The HLS ladder written by the segment invocations: each cuts its own MPEG-TS media segments for every H.264 rung
 * straight under the rung's final keys and records what it wrote (durations, sizes, codec) in one small JSON
 * object beside its composite. The assembly then writes only playlists from those records, whatever the meeting's
 * length. The video carries no audio: each segment mixes its span's audio into a lossless piece, and the assembly
 * joins the pieces and encodes them once, whole, so the variants share one audio rendition (EXT-X-MEDIA TYPE=AUDIO)
 * that the assembly cuts from it.
 */

/**
 * Where every HLS stream's timestamps start (seconds; the TS muxer adds its own 1.4 s to all alike). Positive, so
 * the AAC encoder's priming packet (a negative timestamp) keeps its place: at 0 the muxer shifted the audio by the
 * priming (21 ms) to make it non-negative, while the video, cut elsewhere, was not shifted.
 */
export const hlsTimelineOriginSeconds = 10;

/** The one audio rendition group every variant names. */
export const hlsAudioGroup = { id: "audio", name: "Meeting audio", dir: "audio", codecs: "mp4a.40.2" } as const;

/** One media segment as written: its name (relative to its variant playlist), duration and size. */
export const HlsMediaFile = z.object({
  uri: z.string().regex(/^[\w.-]+\.ts$/),
  seconds: z.number().positive().max(3600),
  bytes: z.number().int().min(0),
});
export type HlsMediaFile = z.infer<typeof HlsMediaFile>;

/** What a segment invocation wrote, read back by the assembly (a JSON object in S3: validated like any input). */
export const SegmentMedia = z.object({
  version: z.literal(2),
  segmentKey: z.string().min(1),
  /** The segment's lossless audio piece: the assembly refuses a missing one or one of another length. */
  audio: z.object({ key: z.string().min(1), samples: z.number().int().positive() }),
  rungs: z.record(
    z.string(),
    z.object({
      /** RFC 6381 string of this rung's H.264 as encoded (profile and level differ by rung). */
      codecs: z.string().regex(/^avc1\.[0-9a-f]{6}$/),
      media: z.array(HlsMediaFile).min(1),
    }),
  ),
  /** Sizes of the segment's file renditions, for the assembly's disk plan. */
  fileBytes: z.object({ mp4: z.number().int().min(0), webm: z.number().int().min(0) }),
});
export type SegmentMedia = z.infer<typeof SegmentMedia>;

/** The segment's record of what it wrote: beside its composite, named by the same content-addressed id. */
export const segmentMediaKey = (segment: Pick<Segment, "key">): string => segment.key.replace(/\.mp4$/, ".media.json");

/** ffmpeg's file-name pattern for a segment's media segments of one rung: `<segment id>-000.ts`, … */
export const segmentMediaPattern = (segment: Pick<Segment, "id">): string => `${segment.id}-%03d.ts`;

/** Where a segment's media segments start on the HLS timeline: its first frame's time, past the origin. */
export const segmentMediaOffsetSeconds = (segment: Pick<Segment, "startFrame">, fps: number): number =>
  hlsTimelineOriginSeconds + segment.startFrame / fps;

/** The rungs cut into media segments: every H.264 rung. */
export const hlsRungs: readonly VideoRung[] = hlsLadder;

/** A VOD media playlist of the given media segments, in order. */
export function mediaPlaylist(media: readonly Pick<HlsMediaFile, "uri" | "seconds">[]): string {
  const target = Math.max(1, ...media.map((m) => Math.ceil(m.seconds - 1e-3)));
  const lines = ["#EXTM3U", "#EXT-X-VERSION:3", `#EXT-X-TARGETDURATION:${target}`, "#EXT-X-MEDIA-SEQUENCE:0", "#EXT-X-PLAYLIST-TYPE:VOD"];
  lines.push("#EXT-X-INDEPENDENT-SEGMENTS");
  for (const m of media) lines.push(`#EXTINF:${m.seconds.toFixed(6)},`, m.uri);
  lines.push("#EXT-X-ENDLIST");
  return `${lines.join("\n")}\n`;
}

/**
 * One rung's media segments over the whole recording, in segment order, from every segment's record. A record
 * missing a rung, or one made for another segment's key, is refused: the playlist would skip time.
 */
export function rungMedia(
  segments: readonly Pick<Segment, "key">[],
  records: readonly SegmentMedia[],
  rung: VideoRung,
): { codecs: string; media: HlsMediaFile[] } {
  const media: HlsMediaFile[] = [];
  let codecs = "";
  segments.forEach((segment, i) => {
    const record = records[i];
    if (!record || record.segmentKey !== segment.key) throw new Error(`no media record for segment ${segment.key}`);
    const own = record.rungs[rung.name];
    if (!own) throw new Error(`segment ${segment.key} wrote no ${rung.name} media`);
    // The highest level any segment needed: a player must be able to decode every one of them.
    if (own.codecs > codecs) codecs = own.codecs;
    media.push(...own.media);
  });
  return { codecs, media };
}
