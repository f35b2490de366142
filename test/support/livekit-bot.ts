import {
  AudioFrame,
  AudioSource,
  AudioStream,
  ConnectionQuality as LiveKitQuality,
  type DisconnectReason,
  LocalAudioTrack,
  type LocalTrackPublication,
  LocalVideoTrack,
  type RemoteTrack,
  type RemoteTrackPublication,
  Room,
  RoomEvent,
  TrackKind,
  TrackPublishOptions,
  TrackSource,
  VideoBufferType,
  VideoCodec,
  VideoFrame,
  VideoSource,
  VideoStream,
} from "@livekit/rtc-node";
import type { ConnectionQuality } from "../../protocol/call-quality.ts";
import type { QualitySampleFigures } from "../../protocol/quality-telemetry.ts";
import { defaultSampleIntervalMs, SampleLoop } from "../../web/src/sample-loop.ts";
import { TelemetryOutbox, type TelemetryFrame } from "../../web/src/telemetry-outbox.ts";
import { w3cEntries } from "./rtc-node-stats.ts";

/**
 * A headless LiveKit participant for tests against the real SFU: publishes a synthetic microphone (sine) and
 * camera (I420 moving band), counts what it receives per remote participant, and records what the room told it.
 */

const sampleRate = 48_000;
const samplesPer10ms = sampleRate / 100;
/** 400 Hz fits a 10 ms frame exactly (4 periods), so one precomputed frame loops without a click. */
const toneHz = 400;
/** Peak amplitude below which a received audio frame counts as silence (decoded comfort noise, mute). */
const audibleFloor = 1_000;

export interface ReceivedMedia {
  audioFrames: number;
  /** Audio frames whose peak is above the silence floor: a muted track may go on producing silent frames. */
  audibleAudioFrames: number;
  videoFrames: number;
  /** `performance.now()` of the first and last frame of each kind. */
  firstAudioAt?: number;
  lastAudibleAt?: number;
  firstVideoAt?: number;
  lastVideoAt?: number;
}

export interface RemoteTrackEvent {
  identity: string;
  trackSid: string;
  kind: "audio" | "video";
  at: number;
}

export interface VideoOptions {
  width?: number;
  height?: number;
  fps?: number;
  source?: "camera" | "screen_share";
  /** A solid picture of this colour (Y, U, V as 8-bit), with only a thin moving band: a tile a test can recognise. */
  yuv?: [number, number, number];
  /** The codec to send (rtc-node encodes H.264 with its built-in OpenH264, as Safari and many Chromes send it); VP8 unless set. */
  codec?: "vp8" | "h264";
}

const videoCodecs = { vp8: VideoCodec.VP8, h264: VideoCodec.H264 } as const;

/** LiveKit's rating of a participant in the protocol's levels. */
const sfuQualities: Record<LiveKitQuality, ConnectionQuality> = {
  [LiveKitQuality.QUALITY_EXCELLENT]: "excellent",
  [LiveKitQuality.QUALITY_GOOD]: "good",
  [LiveKitQuality.QUALITY_POOR]: "poor",
  [LiveKitQuality.QUALITY_LOST]: "lost",
};

const kindName = (kind: TrackKind | undefined): "audio" | "video" => (kind === TrackKind.KIND_AUDIO ? "audio" : "video");

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class LiveKitBot {
  readonly identity: string;
  /** `performance.now()` when `connect` resolved. */
  readonly connectedAt: number;
  /** Remote participants this bot was told about, in order (a hidden participant never shows up here). */
  readonly participantsSeen: string[] = [];
  readonly tracksPublished: RemoteTrackEvent[] = [];
  readonly tracksMuted: RemoteTrackEvent[] = [];
  /** Set when the room ends the session (removed, room closed); a `disconnect()` we asked for leaves it unset. */
  disconnectReason?: DisconnectReason;
  /** The quality samples this bot sent (`reportQuality`), oldest first. */
  readonly qualitySamples: QualitySampleFigures[] = [];
  /** LiveKit's latest rating of this bot's own connection. */
  sfuQuality?: ConnectionQuality;

  private readonly received = new Map<string, ReceivedMedia>();
  private readonly readers = new Set<ReadableStreamDefaultReader<unknown>>();
  /** Stop a publisher's timer or loop; run before leaving the room. */
  private readonly publishers: (() => Promise<void>)[] = [];
  /** Free the native sources; run after leaving, once no track uses them. */
  private readonly sources: (AudioSource | VideoSource)[] = [];
  private closing = false;
  private quality: { loop: SampleLoop; outbox: TelemetryOutbox } | undefined;

  private constructor(private readonly room: Room) {
    this.identity = room.localParticipant!.identity;
    this.connectedAt = performance.now();
    for (const participant of room.remoteParticipants.values()) this.participantsSeen.push(participant.identity);
    room
      .on(RoomEvent.ParticipantConnected, (participant) => this.participantsSeen.push(participant.identity))
      .on(RoomEvent.TrackPublished, (publication, participant) => this.tracksPublished.push(this.event(participant.identity, publication)))
      .on(RoomEvent.TrackMuted, (publication, participant) => {
        if (participant.identity !== this.identity) this.tracksMuted.push(this.event(participant.identity, publication));
      })
      .on(RoomEvent.TrackSubscribed, (track, publication, participant) => this.consume(track, publication, participant.identity))
      .on(RoomEvent.Disconnected, (reason) => {
        if (!this.closing) this.disconnectReason = reason;
      })
      .on(RoomEvent.ConnectionQualityChanged, (quality, participant) => {
        if (participant.identity === this.identity) this.sfuQuality = sfuQualities[quality];
      });
  }

  /**
   * Joins a room; rejects (ConnectError) when the node refuses the token. `subscribe: false` for bots that
   * only publish: every subscription costs a decoder, and the machine is small.
   */
  static async connect(url: string, token: string, options: { subscribe?: boolean; timeoutMs?: number } = {}): Promise<LiveKitBot> {
    const room = new Room();
    const wsUrl = url.replace(/^http/, "ws");
    const connecting = room.connect(wsUrl, token, { autoSubscribe: options.subscribe ?? true, dynacast: false });
    await withTimeout(connecting, options.timeoutMs ?? 10_000, "connect").catch(async (error: unknown) => {
      await room.disconnect().catch(() => undefined);
      throw error;
    });
    return new LiveKitBot(room);
  }

  /**
   * Calls `listener` when the connection to the node fails (LiveKit starts reconnecting, or drops this bot
   * without being asked): where the page reports `media_trouble` to the meeting room (web/src/sfu-link.ts).
   */
  onConnectionTrouble(listener: (what: "reconnecting" | "disconnected") => void): void {
    this.room
      .on(RoomEvent.Reconnecting, () => listener("reconnecting"))
      .on(RoomEvent.Disconnected, () => {
        if (!this.closing) listener("disconnected");
      });
  }

  get isConnected(): boolean {
    return this.room.isConnected;
  }

  /** The room metadata as this client last heard it. */
  get roomMetadata(): string | undefined {
    return this.room.metadata;
  }

  get remoteIdentities(): string[] {
    return [...this.room.remoteParticipants.keys()];
  }

  /** A snapshot of what this bot has received from one remote participant so far (zeros when nothing). */
  from(identity: string): ReceivedMedia {
    return { ...(this.received.get(identity) ?? { audioFrames: 0, audibleAudioFrames: 0, videoFrames: 0 }) };
  }

  /**
   * Publishes a sine (400 Hz unless `toneHz`, a multiple of 100 so each 10 ms frame holds whole cycles) as the
   * microphone, 48 kHz mono in 10 ms frames, until disconnect.
   */
  async publishAudio(options: { timeoutMs?: number; toneHz?: number } = {}): Promise<LocalTrackPublication> {
    const hz = options.toneHz ?? toneHz;
    if (hz % 100 !== 0) throw new Error("toneHz must be a multiple of 100");
    // A short queue keeps the publisher close to real time: captureFrame waits while the queue is full.
    const source = new AudioSource(sampleRate, 1, 100);
    const frame = AudioFrame.create(sampleRate, 1, samplesPer10ms);
    for (let i = 0; i < samplesPer10ms; i++) frame.data[i] = Math.round(0.5 * 32767 * Math.sin((2 * Math.PI * hz * i) / sampleRate));
    const track = LocalAudioTrack.createAudioTrack("sine", source);
    const publication = await this.publish(track, source, TrackSource.SOURCE_MICROPHONE, options.timeoutMs);

    let running = true;
    const loop = (async () => {
      while (running) await source.captureFrame(frame);
    })().catch(() => undefined); // a capture pending when the room goes away rejects
    this.sources.push(source);
    this.publishers.push(async () => {
      running = false;
      await withTimeout(loop, 2_000, "audio loop stop").catch(() => undefined);
    });
    return publication;
  }

  /** Publishes an I420 frame with a moving bright band (so the encoder has motion), on a timer. */
  async publishVideo(options: VideoOptions & { timeoutMs?: number } = {}): Promise<LocalTrackPublication> {
    const { width = 320, height = 240, fps = 20 } = options;
    const source = new VideoSource(width, height);
    const lumaSize = width * height;
    const data = new Uint8Array(lumaSize * 1.5);
    const [y, u, v] = options.yuv ?? [60, 128, 128]; // default: a grey picture
    data.fill(y, 0, lumaSize);
    data.fill(u, lumaSize, lumaSize * 1.25);
    data.fill(v, lumaSize * 1.25);
    const frame = new VideoFrame(data, width, height, VideoBufferType.I420);
    const bandWidth = options.yuv ? 4 : 16;
    const bandLuma = options.yuv ? Math.min(255, y + 40) : 230;
    let band = 0;
    const paint = (x: number, luma: number) => {
      for (let row = 0; row < height; row++) data.fill(luma, row * width + x, row * width + Math.min(x + bandWidth, width));
    };
    const tick = () => {
      paint(band, y);
      band = (band + 4) % width;
      paint(band, bandLuma);
      source.captureFrame(frame, BigInt(Math.round(performance.now() * 1000)));
    };
    tick(); // a first frame before publishing so the subscriber has something at once
    const track = LocalVideoTrack.createVideoTrack("pattern", source);
    const sourceKind = options.source === "screen_share" ? TrackSource.SOURCE_SCREENSHARE : TrackSource.SOURCE_CAMERA;
    const publication = await this.publish(track, source, sourceKind, options.timeoutMs, videoCodecs[options.codec ?? "vp8"]);
    const timer = setInterval(tick, Math.round(1000 / fps));
    this.sources.push(source);
    this.publishers.push(async () => clearInterval(timer));
    return publication;
  }

  /**
   * Publishes a camera that is black but flashes white, and a microphone that is silent but beeps, at the same
   * instants (`everyMs` apart, `flashMs` long), both timed from one clock: a test of lip sync through whatever
   * carries them. Each 10 ms audio frame is handed over at its instant with no native queue: the queue paces
   * its reader at exactly real time, so every stall of this process (a busy 2-core box) left the audio that much
   * behind the clock for good, hundreds of ms within a minute. Handed over directly, a late frame is only late
   * once: the RTP clock counts samples, so frame n keeps its place n·10 ms after the first, as a microphone's do.
   */
  async publishFlashAndBeep(options: { everyMs: number; flashMs: number; toneHz?: number }): Promise<void> {
    const { everyMs, flashMs, toneHz: hz = 1000 } = options;
    const fps = 30;
    const width = 320;
    const height = 240;
    const lumaSize = width * height;
    const data = new Uint8Array(lumaSize * 1.5).fill(128);
    const video = new VideoSource(width, height);
    const frame = new VideoFrame(data, width, height, VideoBufferType.I420);
    const audio = new AudioSource(sampleRate, 1, 0);
    const silence = AudioFrame.create(sampleRate, 1, samplesPer10ms);
    const beep = AudioFrame.create(sampleRate, 1, samplesPer10ms);
    for (let i = 0; i < samplesPer10ms; i++) beep.data[i] = Math.round(0.5 * 32767 * Math.sin((2 * Math.PI * hz * i) / sampleRate));
    const lit = (t: number) => t % everyMs < flashMs;
    let start = performance.now();
    // Frame k is due at start + k/30 s and carries that instant as its timestamp, so a flash begins exactly on the
    // shared clock's beat whatever the timer's jitter.
    const paint = (k: number) => {
      data.fill(lit((k * 1000) / fps) ? 235 : 16, 0, lumaSize);
      video.captureFrame(frame, BigInt(Math.round((start + (k * 1000) / fps) * 1000)));
    };
    paint(0);
    await this.publish(LocalVideoTrack.createVideoTrack("flash", video), video, TrackSource.SOURCE_CAMERA);
    await this.publish(LocalAudioTrack.createAudioTrack("beep", audio), audio, TrackSource.SOURCE_MICROPHONE);
    start = performance.now();
    let running = true;
    const until = (due: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
    const videoLoop = (async () => {
      for (let k = 0; running; k++) {
        await until(start + (k * 1000) / fps);
        paint(k);
      }
    })();
    const audioLoop = (async () => {
      // Frame n is the 10 ms due at start + n·10 ms, handed over then (or at once when the loop is behind).
      for (let n = 0; running; n++) {
        await until(start + n * 10);
        await audio.captureFrame(lit(n * 10) ? beep : silence);
      }
    })().catch(() => undefined);
    this.sources.push(video, audio);
    this.publishers.push(async () => {
      running = false;
      await withTimeout(Promise.all([videoLoop, audioLoop]), 2_000, "flash and beep stop").catch(() => undefined);
    });
  }

  /**
   * Samples this bot's call like the page does (web/src/sample-loop.ts over web/src/quality-sampler.ts, from
   * rtc-node's stats in W3C shape) and sends each sample with `send`, the bot's meeting socket, paced like the
   * page. `intervalMs` is 5 s as in production; tests may shorten it (1 s at the least).
   */
  reportQuality(send: (frame: TelemetryFrame) => string | null, options: { intervalMs?: number } = {}): void {
    if (this.quality) return;
    const outbox = new TelemetryOutbox({ send });
    const loop = new SampleLoop({
      intervalMs: options.intervalMs ?? defaultSampleIntervalMs,
      read: async () => {
        if (!this.room.isConnected) return null;
        const stats = await this.room.getRtcStats();
        return {
          connections: { "sfu:publisher": w3cEntries(stats.publisherStats), "sfu:subscriber": w3cEntries(stats.subscriberStats) },
          context: { path: "sfu", sfuQuality: this.sfuQuality },
        };
      },
      emit: (figures) => {
        this.qualitySamples.push(figures);
        outbox.sampleReady(figures);
      },
    });
    loop.start();
    this.quality = { loop, outbox };
  }

  /** Polls `condition` every 50 ms; rejects with `what` after `timeoutMs`. */
  async waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!condition()) {
      if (performance.now() > deadline) throw new Error(`${this.identity}: timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Stops the publishers, closes the receive streams and leaves the room. Safe to call twice. */
  async disconnect(): Promise<void> {
    this.closing = true;
    this.quality?.loop.stop();
    this.quality?.outbox.close();
    for (const stop of this.publishers.splice(0)) await stop();
    for (const reader of this.readers) await reader.cancel().catch(() => undefined);
    this.readers.clear();
    if (this.room.isConnected) await withTimeout(this.room.disconnect(), 5_000, "disconnect").catch(() => undefined);
    for (const source of this.sources.splice(0)) await source.close().catch(() => undefined);
  }

  private async publish(
    track: LocalAudioTrack | LocalVideoTrack,
    source: AudioSource | VideoSource,
    kind: TrackSource,
    timeoutMs = 5_000,
    videoCodec?: VideoCodec,
  ): Promise<LocalTrackPublication> {
    const options = new TrackPublishOptions({ source: kind, videoCodec });
    try {
      return await withTimeout(this.room.localParticipant!.publishTrack(track, options), timeoutMs, `publish ${TrackSource[kind]}`);
    } catch (error) {
      await track.close(false).catch(() => undefined);
      await source.close().catch(() => undefined);
      throw error;
    }
  }

  private event(identity: string, publication: { sid?: string; kind?: TrackKind }): RemoteTrackEvent {
    return { identity, trackSid: publication.sid ?? "", kind: kindName(publication.kind), at: performance.now() };
  }

  private counts(identity: string): ReceivedMedia {
    const known = this.received.get(identity);
    if (known) return known;
    const counts = { audioFrames: 0, audibleAudioFrames: 0, videoFrames: 0 };
    this.received.set(identity, counts);
    return counts;
  }

  /** Reads a subscribed track to its end, counting frames; the stream ends on unsubscribe or disconnect. */
  private consume(track: RemoteTrack, publication: RemoteTrackPublication, identity: string): void {
    const counts = this.counts(identity);
    if (publication.kind === TrackKind.KIND_AUDIO) {
      const reader = new AudioStream(track, { sampleRate, numChannels: 1 }).getReader();
      this.readers.add(reader);
      void (async () => {
        for (let next = await reader.read(); !next.done; next = await reader.read()) {
          const now = performance.now();
          counts.audioFrames++;
          counts.firstAudioAt ??= now;
          let peak = 0;
          for (const sample of next.value.data) if (sample > peak) peak = sample;
          if (peak > audibleFloor) {
            counts.audibleAudioFrames++;
            counts.lastAudibleAt = now;
          }
        }
      })()
        .catch(() => undefined)
        .finally(() => this.readers.delete(reader));
    } else {
      const reader = new VideoStream(track).getReader();
      this.readers.add(reader);
      void (async () => {
        for (let next = await reader.read(); !next.done; next = await reader.read()) {
          const now = performance.now();
          counts.videoFrames++;
          counts.firstVideoAt ??= now;
          counts.lastVideoAt = now;
        }
      })()
        .catch(() => undefined)
        .finally(() => this.readers.delete(reader));
    }
  }
}
