import type { Room } from "@livekit/rtc-node";
import type { StatsEntry } from "../../web/src/quality-sampler.ts";

/**
 * rtc-node's `room.getRtcStats()` (protobuf messages, one `case` per W3C stats type, 64-bit counters as bigint,
 * enums as numbers, timestamps in microseconds) as the plain W3C entries the page's quality sampler reads, so a bot samples its call with
 * the page's own code. Only the types the sampler reads are converted; the rest are left out.
 */
export type SessionStats = Awaited<ReturnType<Room["getRtcStats"]>>;
type RtcStats = SessionStats["publisherStats"][number];

/** stats.proto's enums, by number (the bindings' enum objects are internal to rtc-node). */
const candidateTypes = ["host", "srflx", "prflx", "relay"] as const;
const pairStates = ["frozen", "waiting", "in-progress", "failed", "succeeded"] as const;
const limitationReasons = ["none", "cpu", "bandwidth", "other"] as const;

const w3cType = {
  inboundRtp: "inbound-rtp",
  outboundRtp: "outbound-rtp",
  remoteInboundRtp: "remote-inbound-rtp",
  remoteOutboundRtp: "remote-outbound-rtp",
  mediaSource: "media-source",
  transport: "transport",
  candidatePair: "candidate-pair",
  localCandidate: "local-candidate",
  remoteCandidate: "remote-candidate",
} as const satisfies Partial<Record<NonNullable<RtcStats["stats"]["case"]>, string>>;

export function w3cEntries(stats: readonly RtcStats[]): StatsEntry[] {
  const entries: StatsEntry[] = [];
  for (const { stats: item } of stats) {
    if (!item.case || !(item.case in w3cType)) continue;
    const type = w3cType[item.case as keyof typeof w3cType];
    const { rtc, ...parts } = item.value as unknown as { rtc?: { id?: string; timestamp?: bigint } } & Record<string, unknown>;
    if (!rtc?.id) continue;
    // Each case splits its W3C dictionary into parts (stream, received, inbound, …): one entry gets them all.
    const fields: Record<string, unknown> = {};
    for (const part of Object.values(parts)) if (part && typeof part === "object") Object.assign(fields, plain(part));
    if (type === "local-candidate" || type === "remote-candidate") fields["candidateType"] = named(candidateTypes, fields["candidateType"]);
    if (type === "candidate-pair") fields["state"] = named(pairStates, fields["state"]);
    if (type === "outbound-rtp") fields["qualityLimitationReason"] = named(limitationReasons, fields["qualityLimitationReason"]);
    // libwebrtc's timestamps come through in microseconds; W3C's are milliseconds.
    const timestamp = rtc.timestamp === undefined ? {} : { timestamp: Number(rtc.timestamp) / 1000 };
    entries.push({ ...fields, id: rtc.id, type, ...timestamp });
  }
  return entries;
}

/** A protobuf part's fields with 64-bit counters as numbers (they stay far below 2^53). */
function plain(part: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(part).map(([key, value]) => [key, typeof value === "bigint" ? Number(value) : value]));
}

function named(names: readonly string[], value: unknown): string | undefined {
  return typeof value === "number" ? names[value] : undefined;
}
