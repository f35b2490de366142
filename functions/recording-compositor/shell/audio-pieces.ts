import { writeFile } from "node:fs/promises";
import type { SegmentMedia } from "../hls-media.ts";
import { assemblyConcatList, type RecordingPlan } from "../segment-plan.ts";
import { segmentAudioKey } from "../audio-plan.ts";
import type { CompositorPorts } from "./ports.ts";
import type { Workspace } from "./workspace.ts";

/**
 * The concat list that joins the segments' lossless audio pieces sample-exactly, each read from S3 through a
 * presigned URL as the encoder reaches it (nothing waits for a download, and the disk holds none of them).
 * Answers the list's path.
 */
export async function writePieceList(plan: RecordingPlan, urlSeconds: number, ws: Workspace, ports: CompositorPorts): Promise<string> {
  const urls = await Promise.all(plan.segments.map((s) => ports.objects.readUrl(segmentAudioKey(s), urlSeconds)));
  const list = ws.path("audio.ffconcat");
  await writeFile(
    list,
    assemblyConcatList(plan, (s) => urls[s.index]!),
  );
  return list;
}

/**
 * Every segment's record names the piece the encoders read, of its exact length: a missing or mismatched one
 * would make the audio drift from the video after it.
 */
export function checkPieceRecords(plan: RecordingPlan, records: readonly SegmentMedia[]): void {
  plan.segments.forEach((segment, i) => {
    const audio = records[i]?.audio;
    if (audio?.key !== segmentAudioKey(segment) || audio.samples !== segment.audio.samples)
      throw new Error(
        `segment ${segment.index} recorded no audio piece of ${segment.audio.samples} samples at ${segmentAudioKey(segment)}`,
      );
  });
}
