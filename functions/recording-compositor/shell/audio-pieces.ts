import { writeFile } from "node:fs/promises";
import type { SegmentMedia } from "../hls-media.ts";
import { assemblyConcatList, type RecordingPlan } from "../segment-plan.ts";
import { segmentAudioKey } from "../audio-plan.ts";
import type { CompositorPorts } from "./ports.ts";
import type { Workspace } from "./workspace.ts";

/**
 * The concat list that joins the segments' lossless audio pieces sample-exactly, each read from S3 through a
 * presigned URL as the join reaches it (so nothing waits for a download, and the disk holds none of them), for the
 * joins to encode once, whole. A piece whose record is missing, names another key or another length is refused:
 * the audio would drift from the video after it. Answers the list's path.
 */
export async function audioPieceList(
  plan: RecordingPlan,
  records: readonly SegmentMedia[],
  urlSeconds: number,
  ws: Workspace,
  ports: CompositorPorts,
): Promise<string> {
  plan.segments.forEach((segment, i) => {
    const audio = records[i]?.audio;
    if (audio?.key !== segmentAudioKey(segment) || audio.samples !== segment.audio.samples)
      throw new Error(
        `segment ${segment.index} recorded no audio piece of ${segment.audio.samples} samples at ${segmentAudioKey(segment)}`,
      );
  });
  const urls = await Promise.all(plan.segments.map((s) => ports.objects.readUrl(segmentAudioKey(s), urlSeconds)));
  const list = ws.path("audio.ffconcat");
  await writeFile(
    list,
    assemblyConcatList(plan, (s) => urls[s.index]!),
  );
  return list;
}
