/**
 * What arrived from one remote participant, summed over the `inbound-rtp` entries of their receivers'
 * getStats() reports: the numbers a browser test watches grow to know media is flowing now.
 */
export interface InboundMedia {
  audio: { bytesReceived: number; packetsReceived: number };
  video: { bytesReceived: number; framesReceived: number; framesDecoded: number; frameWidth: number; frameHeight: number };
}

type Stat = { type?: unknown; kind?: unknown; [field: string]: unknown };

export function summarizeInbound(reports: Iterable<Iterable<Stat>>): InboundMedia {
  const media: InboundMedia = {
    audio: { bytesReceived: 0, packetsReceived: 0 },
    video: { bytesReceived: 0, framesReceived: 0, framesDecoded: 0, frameWidth: 0, frameHeight: 0 },
  };
  const count = (stat: Stat, field: string) => Number(stat[field]) || 0;
  for (const report of reports) {
    for (const stat of report) {
      if (stat.type !== "inbound-rtp") continue;
      if (stat.kind === "audio") {
        media.audio.bytesReceived += count(stat, "bytesReceived");
        media.audio.packetsReceived += count(stat, "packetsReceived");
      } else if (stat.kind === "video") {
        media.video.bytesReceived += count(stat, "bytesReceived");
        media.video.framesReceived += count(stat, "framesReceived");
        media.video.framesDecoded += count(stat, "framesDecoded");
        // The layer the SFU forwards now (adaptive stream picks it by tile size).
        media.video.frameWidth = Math.max(media.video.frameWidth, count(stat, "frameWidth"));
        media.video.frameHeight = Math.max(media.video.frameHeight, count(stat, "frameHeight"));
      }
    }
  }
  return media;
}
