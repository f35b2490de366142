import type { ConnectionQuality } from "../../protocol/call-quality.ts";
import { CandidateType, type MediaPath, type QualitySampleFigures, type TrackSample } from "../../protocol/quality-telemetry.ts";

/**
 * A `quality_sample`'s figures from two readings of the call's `getStats()`: what each RTP stream carried, lost and
 * showed in the window between them. Pure (plain W3C webrtc-stats entries in, figures out), so the page and the
 * rtc-node test bots, whose stats arrive in another shape, sample with one definition. Whatever the readings hold,
 * the figures stay inside `QualitySampleFigures`' bounds.
 */

/** One entry of a stats report as a plain object, W3C webrtc-stats names (`inbound-rtp`, `candidate-pair`, …). */
export interface StatsEntry {
  readonly id: string;
  readonly type: string;
  readonly [field: string]: unknown;
}

export interface StatsSnapshot {
  /** When it was read, ms, on a clock that only moves forward. */
  atMs: number;
  /**
   * Per connection (a peer connection to one participant; the SFU's publisher or subscriber), its entries. Entry
   * ids are unique within a connection only, so streams are matched across readings by connection and id.
   */
  connections: Readonly<Record<string, readonly StatsEntry[]>>;
}

export interface SampleContext {
  path: MediaPath;
  /** LiveKit's own quality for this participant (SFU only). */
  sfuQuality?: ConnectionQuality | undefined;
  /** The local camera is off: what its streams send is not judged against the camera's frame rate. */
  videoMuted?: boolean | undefined;
  /** Chosen by the caller in tests; a fresh UUID otherwise. */
  sampleId?: string | undefined;
}

/** The most tracks a sample may carry (the schema's bound). */
export const maxTracks = 64;

const limits = { ms: 60_000, count: 10_000_000, kbps: 1_000_000, pixels: 16_384, fps: 1000 } as const;
const windowBounds = { min: 1000, max: 60_000 } as const;
/** When several connections use different paths, the sample names the most indirect one. */
const candidateRank: Record<CandidateType, number> = { host: 0, prflx: 1, srflx: 2, relay: 3 };

export function sampleFigures(previous: StatsSnapshot, current: StatsSnapshot, context: SampleContext): QualitySampleFigures {
  const elapsedMs = current.atMs - previous.atMs;
  const tracks: TrackSample[] = [];
  let candidateType: CandidateType | undefined;
  for (const [connection, entries] of Object.entries(current.connections)) {
    const now = indexById(entries);
    const before = indexById(previous.connections[connection] ?? []);
    const local = localCandidateType(now, selectedPair(now));
    if (local && (!candidateType || candidateRank[local] > candidateRank[candidateType])) candidateType = local;
    const sending = new Map<string, TrackSample>();
    for (const entry of now.values()) {
      const track =
        entry.type === "inbound-rtp"
          ? inboundTrack(entry, now, before, elapsedMs)
          : entry.type === "outbound-rtp"
            ? outboundTrack(entry, now, before, elapsedMs, context.videoMuted === true)
            : undefined;
      if (track?.direction === "outbound") sending.set(entry.id, track);
      else if (track) tracks.push(track);
    }
    tracks.push(...withoutHeldBackLayers(now, sending));
  }
  return {
    sampleId: context.sampleId ?? crypto.randomUUID(),
    windowMs: Math.round(clamp(elapsedMs, windowBounds.min, windowBounds.max)),
    path: context.path,
    ...(candidateType ? { candidateType } : {}),
    ...(context.sfuQuality ? { sfuQuality: context.sfuQuality } : {}),
    tracks: mostInformative(tracks),
  };
}

type Index = ReadonlyMap<string, StatsEntry>;

/**
 * A simulcast layer that sent nothing this window while another layer of the same camera did is one the encoder
 * holds back (bandwidth or CPU adaptation): receivers get the other layer, so it is no frozen picture and is left
 * out. A camera whose every layer went silent is kept, and judged.
 */
function withoutHeldBackLayers(now: Index, outbound: ReadonlyMap<string, TrackSample>): TrackSample[] {
  const sourceOf = (id: string) => text(now.get(id), "mediaSourceId") ?? id;
  const flowing = new Set<string>();
  for (const [id, track] of outbound) if (track.kind === "video" && track.packets > 0) flowing.add(sourceOf(id));
  return [...outbound]
    .filter(([id, track]) => track.kind !== "video" || track.packets > 0 || !flowing.has(sourceOf(id)))
    .map(([, track]) => track);
}

function inboundTrack(entry: StatsEntry, now: Index, before: Index, elapsedMs: number): TrackSample | undefined {
  const kind = kindOf(entry);
  if (!kind || !started(entry, "packetsReceived")) return undefined;
  const was = continued(entry, before.get(entry.id), "packetsReceived", "bytesReceived");
  const pair = selectedPair(now, text(entry, "transportId"));
  const track: TrackSample = {
    direction: "inbound",
    kind,
    rttMs: millis(msFromSeconds(pair, "currentRoundTripTime")),
    jitterMs: millis(msFromSeconds(entry, "jitter")),
    packets: count(delta(entry, was, "packetsReceived")),
    packetsLost: count(lossDelta(entry, was)),
  };
  const window = windowOf(entry, was, elapsedMs);
  assignRate(track, "bitrateKbps", kbps(delta(entry, was, "bytesReceived"), window), limits.kbps);
  if (kind === "video") {
    assignSize(track, entry);
    // Decoded against arrived, over the same window: the share of frames that reached the screen. Frames the
    // sender never got through show up as loss, not here.
    const decoded = delta(entry, was, "framesDecoded");
    track.frameRate = fps(perSecond(decoded, window) ?? number(entry, "framesPerSecond"));
    track.expectedFrameRate = fps(perSecond(delta(entry, was, "framesReceived"), window));
    assignCount(track, "framesDecoded", decoded);
    assignCount(track, "framesDropped", delta(entry, was, "framesDropped"));
  }
  assignCount(track, "nackCount", delta(entry, was, "nackCount"));
  assignCount(track, "pliCount", delta(entry, was, "pliCount"));
  return track;
}

function outboundTrack(entry: StatsEntry, now: Index, before: Index, elapsedMs: number, videoMuted: boolean): TrackSample | undefined {
  const kind = kindOf(entry);
  // A simulcast layer nobody receives is paused (dynacast): it has nothing to judge.
  if (!kind || entry["active"] === false || !started(entry, "packetsSent")) return undefined;
  const was = continued(entry, before.get(entry.id), "packetsSent", "bytesSent");
  const remote = remoteInbound(now, entry);
  const remoteWas = was ? remoteInbound(before, was) : undefined;
  const window = windowOf(entry, was, elapsedMs);
  const track: TrackSample = {
    direction: "outbound",
    kind,
    // The receiver's RTCP reports measure the round trip of this very stream; the ICE pair's is the fallback.
    rttMs: millis(
      msFromSeconds(remote, "roundTripTime") ?? msFromSeconds(selectedPair(now, text(entry, "transportId")), "currentRoundTripTime"),
    ),
    jitterMs: millis(msFromSeconds(remote, "jitter")),
    packets: count(delta(entry, was, "packetsSent")),
    packetsLost: count(remote ? lossDelta(remote, remoteWas) : 0),
  };
  assignRate(track, "bitrateKbps", kbps(delta(entry, was, "bytesSent"), window), limits.kbps);
  if (kind === "video") {
    assignSize(track, entry);
    track.frameRate = fps(number(entry, "framesPerSecond") ?? perSecond(delta(entry, was, "framesSent"), window));
    // What the encoder aimed for is the camera's rate; a camera that is off aims for nothing.
    const source = now.get(text(entry, "mediaSourceId") ?? "");
    track.expectedFrameRate = videoMuted ? null : fps(number(source, "framesPerSecond"));
  }
  assignCount(track, "nackCount", delta(entry, was, "nackCount"));
  assignCount(track, "pliCount", delta(entry, was, "pliCount"));
  return track;
}

/**
 * Whether a stream has carried anything yet. One still connecting has nothing to judge, and a sample of streams
 * that all carried nothing reads as a lost connection; a stream that carried and then stopped is kept, and counts.
 */
function started(entry: StatsEntry, packets: string): boolean {
  return (number(entry, packets) ?? 0) > 0;
}

/**
 * The previous reading of a stream, or undefined when its counters start over (a new stream, an ICE restart
 * that recreated it): then everything in this reading counts from zero.
 */
function continued(entry: StatsEntry, was: StatsEntry | undefined, packets: string, bytes: string): StatsEntry | undefined {
  if (!was || was.type !== entry.type) return undefined;
  const wentBack = (field: string) => (number(entry, field) ?? 0) < (number(was, field) ?? 0);
  return wentBack(packets) || wentBack(bytes) ? undefined : was;
}

/** A counter's growth since `was`; a counter that went backwards started over, so it counts from zero. */
function delta(entry: StatsEntry, was: StatsEntry | undefined, field: string): number | undefined {
  const value = number(entry, field);
  if (value === undefined) return undefined;
  const before = was ? number(was, field) : undefined;
  return before === undefined || value < before ? value : value - before;
}

/** RFC 3550's cumulative loss falls when duplicates arrive: within one stream it never counts below zero. */
function lossDelta(entry: StatsEntry, was: StatsEntry | undefined): number {
  const value = number(entry, "packetsLost") ?? 0;
  const before = was ? (number(was, "packetsLost") ?? 0) : 0;
  return Math.max(0, value - before);
}

function remoteInbound(index: Index, outbound: StatsEntry): StatsEntry | undefined {
  const byRemoteId = index.get(text(outbound, "remoteId") ?? "");
  if (byRemoteId?.type === "remote-inbound-rtp") return byRemoteId;
  for (const entry of index.values()) if (entry.type === "remote-inbound-rtp" && entry["localId"] === outbound.id) return entry;
  return undefined;
}

/** The candidate pair ICE chose: the transport's (the stream's own transport when named), else one marked selected. */
function selectedPair(index: Index, transportId?: string): StatsEntry | undefined {
  const transports = [index.get(transportId ?? ""), ...index.values()].filter((entry) => entry?.type === "transport");
  for (const transport of transports) {
    const pair = index.get(text(transport, "selectedCandidatePairId") ?? "");
    if (pair?.type === "candidate-pair") return pair;
  }
  for (const entry of index.values()) {
    if (entry.type !== "candidate-pair") continue;
    if (entry["selected"] === true || (entry["nominated"] === true && entry["state"] === "succeeded")) return entry;
  }
  return undefined;
}

function localCandidateType(index: Index, pair: StatsEntry | undefined): CandidateType | undefined {
  const candidate = index.get(text(pair, "localCandidateId") ?? "");
  const parsed = CandidateType.safeParse(candidate?.type === "local-candidate" ? candidate["candidateType"] : undefined);
  return parsed.success ? parsed.data : undefined;
}

/** Streams that carried the most (packets plus losses) first, when there are more than a sample may hold. */
function mostInformative(tracks: TrackSample[]): TrackSample[] {
  if (tracks.length <= maxTracks) return tracks;
  const traffic = (track: TrackSample) => track.packets + track.packetsLost;
  return tracks
    .map((track, order) => ({ track, order }))
    .sort((a, b) => traffic(b.track) - traffic(a.track) || a.order - b.order)
    .slice(0, maxTracks)
    .map(({ track }) => track);
}

/** The stream's own timestamps when both readings have them (ms); the snapshots' otherwise. */
function windowOf(entry: StatsEntry, was: StatsEntry | undefined, elapsedMs: number): number {
  const [now, before] = [number(entry, "timestamp"), was ? number(was, "timestamp") : undefined];
  return now !== undefined && before !== undefined && now > before ? now - before : elapsedMs;
}

function indexById(entries: readonly StatsEntry[]): Map<string, StatsEntry> {
  const index = new Map<string, StatsEntry>();
  for (const entry of entries) if (typeof entry?.id === "string" && typeof entry.type === "string") index.set(entry.id, entry);
  return index;
}

function kindOf(entry: StatsEntry): TrackSample["kind"] | undefined {
  const kind = entry["kind"] ?? entry["mediaType"];
  return kind === "audio" || kind === "video" ? kind : undefined;
}

function assignSize(track: TrackSample, entry: StatsEntry): void {
  assignCount(track, "width", number(entry, "frameWidth"), limits.pixels);
  assignCount(track, "height", number(entry, "frameHeight"), limits.pixels);
}

type CountField = "width" | "height" | "framesDecoded" | "framesDropped" | "nackCount" | "pliCount";
function assignCount(track: TrackSample, field: CountField, value: number | undefined, max: number = limits.count): void {
  if (value !== undefined) track[field] = Math.round(clamp(value, 0, max));
}

function assignRate(track: TrackSample, field: "bitrateKbps", value: number | undefined, max: number): void {
  if (value !== undefined) track[field] = clamp(value, 0, max);
}

function number(entry: StatsEntry | undefined, field: string): number | undefined {
  const value = entry?.[field];
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function text(entry: StatsEntry | undefined, field: string): string | undefined {
  const value = entry?.[field];
  return typeof value === "string" ? value : undefined;
}

/** webrtc-stats gives times in seconds; samples carry milliseconds. */
function msFromSeconds(entry: StatsEntry | undefined, field: string): number | undefined {
  const value = number(entry, field);
  return value === undefined ? undefined : value * 1000;
}

function millis(value: number | undefined): number | null {
  return value === undefined || value < 0 ? null : clamp(value, 0, limits.ms);
}

function fps(value: number | undefined): number | null {
  return value === undefined ? null : clamp(value, 0, limits.fps);
}

function perSecond(value: number | undefined, windowMs: number): number | undefined {
  return value === undefined || !(windowMs > 0) ? undefined : (value * 1000) / windowMs;
}

function kbps(bytes: number | undefined, windowMs: number): number | undefined {
  return bytes === undefined || !(windowMs > 0) ? undefined : (bytes * 8) / windowMs;
}

function count(value: number | undefined): number {
  return Math.round(clamp(value ?? 0, 0, limits.count));
}

function clamp(value: number, low: number, high: number): number {
  return Number.isFinite(value) ? Math.min(high, Math.max(low, value)) : low;
}
