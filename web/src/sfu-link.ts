import {
  ConnectionQuality as LiveKitQuality,
  DisconnectReason,
  type LocalTrackPublication,
  type RemoteParticipant,
  type RemoteTrack,
  Room,
  RoomEvent,
  Track,
  VideoPreset,
  type TrackPublishDefaults,
} from "livekit-client";
import type { ConnectionQuality } from "../../protocol/call-quality.ts";
import { summarizeInbound, type InboundMedia } from "./inbound-media.ts";
import { whenFlowing, type MediaEvent } from "./media-event.ts";
import type { StatsEntry } from "./quality-sampler.ts";
import { reconnectDelayMs } from "./reconnect-backoff.ts";
import type { TrackKind } from "./local-media.ts";
import { describeLayer, simulcastPlan } from "./simulcast-ladder.ts";
import { entriesOf, mergeEntries } from "./stats-report.ts";

/**
 * Media for larger meetings: one LiveKit room on the node the meeting room placed us on. Publishes the
 * camera and microphone the page already holds (simulcast, per the ladder), renders what it subscribes to
 * into the roster's tiles, and asks the meeting room to check the node (`onTrouble`) when the connection
 * falters. A new `join` means "move there now": the old room is left before the new one is entered.
 */
export type SfuStatus = "idle" | "connecting" | "connected" | "reconnecting" | "disconnected";

export interface SfuLinkOptions {
  localStream: MediaStream | null;
  isMuted(kind: TrackKind): boolean;
  /** The tile <video> of a roster member, or null while they are not in the roster (their tile comes later). */
  videoFor(identity: string): HTMLVideoElement | null;
  onPeerState(identity: string, state: RTCPeerConnectionState): void;
  /** The media server is failing or unreachable: the meeting room should check it (`media_trouble`). */
  onTrouble(reason: string): void;
  /** Connected, remote media arriving, the first join failing, or a connection that was up dropping. */
  onMediaEvent(event: MediaEvent): void;
}

/** Disconnects the server asked for on purpose: nothing to report as trouble. */
const deliberateDisconnects: ReadonlySet<DisconnectReason> = new Set([
  DisconnectReason.CLIENT_INITIATED,
  DisconnectReason.DUPLICATE_IDENTITY,
  DisconnectReason.PARTICIPANT_REMOVED,
  DisconnectReason.ROOM_DELETED,
  DisconnectReason.ROOM_CLOSED,
]);

/** LiveKit's view of our connection, in the protocol's levels (`unknown`: not rated yet). */
const sfuQualities: Readonly<Record<LiveKitQuality, ConnectionQuality | undefined>> = {
  [LiveKitQuality.Excellent]: "excellent",
  [LiveKitQuality.Good]: "good",
  [LiveKitQuality.Poor]: "poor",
  [LiveKitQuality.Lost]: "lost",
  [LiveKitQuality.Unknown]: undefined,
};

/** About a minute of backoff (reconnect-backoff.ts) before the page waits for the room instead. */
const maxRetries = 8;

export class SfuLink {
  private room: Room | null = null;
  private token: string | null = null;
  private serverUrl: string | null = null;
  private currentStatus: SfuStatus = "idle";
  /** Bumped by every join and by close: async work of an older one stops where it notices. */
  private generation = 0;
  /** Joins run one after another, so two rooms never publish the same camera at once. */
  private work: Promise<void> = Promise.resolve();
  /** One `onTrouble` per bad spell; reset once connected again. */
  private troubleReported = false;
  private closed = false;
  /** Rejoins of the same server after LiveKit gave up (e.g. this client's network dropped for a while). */
  private retries = 0;
  /** Whether any join has connected: a failure before that is a failed attempt, after it a drop. */
  private everConnected = false;
  /** One drop per bad spell, like `troubleReported`; reset once connected again. */
  private dropReported = false;

  constructor(private readonly options: SfuLinkOptions) {}

  get status(): SfuStatus {
    return this.currentStatus;
  }

  get url(): string | null {
    return this.serverUrl;
  }

  /** Connects to `url` with `token`, leaving the current server first if there is one. */
  join(url: string, token: string): void {
    if (this.closed || token === this.token) return;
    this.token = token;
    this.retries = 0;
    this.start(url, token);
  }

  private start(url: string, token: string): void {
    const generation = ++this.generation;
    const leaving = this.leaveCurrent();
    this.work = this.work
      .then(async () => {
        await leaving;
        if (generation === this.generation) await this.connect(url, token, generation);
      })
      .catch((error: unknown) => {
        if (generation !== this.generation) return;
        console.warn(`[sfu] could not join ${url}:`, error);
        this.currentStatus = "disconnected";
        if (!this.everConnected && !this.closed) this.options.onMediaEvent({ kind: "attempt_failed", outcome: "failed_sfu" });
        this.reportTrouble(`join failed: ${error instanceof Error ? error.message : String(error)}`);
        this.retryLater(url, token, generation);
      });
  }

  /**
   * The same server again, with backoff: if the node is fine and the trouble was ours, nobody else will send
   * new credentials. A new `sfu_join` (the room moved the meeting) or closing supersedes the retry.
   */
  private retryLater(url: string, token: string, generation: number): void {
    if (this.closed || this.retries >= maxRetries) return;
    setTimeout(
      () => {
        if (!this.closed && generation === this.generation && token === this.token) this.start(url, token);
      },
      reconnectDelayMs(this.retries++),
    );
  }

  /** Leaves the media server for good (the meeting went back to peer to peer, or we left it). */
  close(): Promise<void> {
    this.closed = true;
    this.generation++;
    const leaving = this.leaveCurrent();
    this.currentStatus = "idle";
    return leaving;
  }

  /** Mutes the published track too, so the SFU stops forwarding it and subscribers see it muted. */
  setMuted(kind: TrackKind, muted: boolean): void {
    const source = kind === "audio" ? Track.Source.Microphone : Track.Source.Camera;
    const publication = this.room?.localParticipant.getTrackPublication(source) as LocalTrackPublication | undefined;
    void (muted ? publication?.mute() : publication?.unmute())?.catch((error: unknown) =>
      console.warn(`[sfu] ${kind} mute failed:`, error),
    );
  }

  /**
   * Attaches every subscribed track to its participant's current tile: a tile can be created after the
   * subscription (roster frame late) or recreated, and adaptive stream only sends video to attached elements.
   */
  refresh(): void {
    for (const participant of this.room?.remoteParticipants.values() ?? []) {
      this.options.onPeerState(participant.identity, "connected");
      for (const publication of participant.trackPublications.values()) {
        if (publication.track) this.attach(publication.track, participant);
      }
    }
  }

  /** Per remote identity, what their subscribed tracks have received so far. */
  async inbound(): Promise<Record<string, InboundMedia>> {
    const result: Record<string, InboundMedia> = {};
    for (const participant of this.room?.remoteParticipants.values() ?? []) {
      const tracks = [...participant.trackPublications.values()].flatMap((publication) => (publication.track ? [publication.track] : []));
      const reports = await Promise.all(tracks.map((track) => track.getRTCStatsReport().catch(() => undefined)));
      result[participant.identity] = summarizeInbound(reports.map((report) => (report ? [...report.values()] : [])));
    }
    return result;
  }

  /** LiveKit's own rating of this participant's connection, when it has one. */
  get localQuality(): ConnectionQuality | undefined {
    const quality = this.room?.localParticipant.connectionQuality;
    return quality === undefined ? undefined : sfuQualities[quality];
  }

  /**
   * The stats of our publisher and subscriber connections, read through each track's sender or receiver
   * (`getRTCStatsReport`, livekit-client's public way to them): outbound streams with the receiver's reports,
   * inbound streams, and the transport, candidate pair and candidates each connection uses.
   */
  async stats(): Promise<Record<string, StatsEntry[]>> {
    const room = this.room;
    if (!room) return {};
    const read = (tracks: { getRTCStatsReport(): Promise<RTCStatsReport | undefined> }[]) =>
      Promise.all(tracks.map((track) => track.getRTCStatsReport().then(entriesOf, () => [])));
    const published = [...room.localParticipant.trackPublications.values()].flatMap((publication) =>
      publication.track ? [publication.track] : [],
    );
    const subscribed = [...room.remoteParticipants.values()].flatMap((participant) =>
      [...participant.trackPublications.values()].flatMap((publication) => (publication.track ? [publication.track] : [])),
    );
    const [publisher, subscriber] = await Promise.all([read(published), read(subscribed)]);
    return { "sfu:publisher": mergeEntries(publisher), "sfu:subscriber": mergeEntries(subscriber) };
  }

  private async connect(url: string, token: string, generation: number): Promise<void> {
    const room = new Room({
      adaptiveStream: true,
      dynacast: true,
      // The camera and microphone belong to the page: they outlive this room (a move, or back to P2P).
      stopLocalTrackOnUnpublish: false,
      publishDefaults: this.publishDefaults(),
    });
    this.room = room;
    this.serverUrl = url;
    this.listen(room, generation);
    this.currentStatus = "connecting";
    await room.connect(url, token);
    if (generation !== this.generation) return; // superseded while connecting: the newer join leaves this room
    await this.publishLocal(room);
    this.refresh();
  }

  private listen(room: Room, generation: number): void {
    const current = () => generation === this.generation;
    room
      .on(RoomEvent.Connected, () => current() && this.connected())
      .on(RoomEvent.Reconnected, () => current() && this.connected())
      .on(RoomEvent.SignalReconnecting, () => current() && this.faltering("signal reconnecting"))
      .on(RoomEvent.Reconnecting, () => {
        if (!current()) return;
        this.dropped();
        this.faltering("reconnecting");
      })
      .on(RoomEvent.Disconnected, (reason) => {
        if (!current()) return;
        const deliberate = reason !== undefined && deliberateDisconnects.has(reason);
        if (!deliberate) this.dropped();
        this.currentStatus = "disconnected";
        if (deliberate) return;
        // LiveKit has given up reconnecting: a new spell of trouble, whatever was reported before.
        this.troubleReported = false;
        this.reportTrouble(`disconnected (${reason === undefined ? "unknown" : DisconnectReason[reason]})`);
        const url = this.serverUrl;
        if (url && this.token) this.retryLater(url, this.token, generation);
      })
      .on(RoomEvent.TrackSubscribed, (track, _publication, participant) => {
        if (!current()) return;
        this.attach(track, participant);
        this.options.onPeerState(participant.identity, "connected");
        whenFlowing(track.mediaStreamTrack, () => current() && this.options.onMediaEvent({ kind: "remote_media" }));
      })
      .on(RoomEvent.TrackUnsubscribed, (track) => void track.detach())
      .on(RoomEvent.ParticipantConnected, (participant) => current() && this.options.onPeerState(participant.identity, "connected"))
      .on(RoomEvent.ParticipantDisconnected, (participant) => current() && this.options.onPeerState(participant.identity, "connecting"));
  }

  private connected(): void {
    this.troubleReported = false;
    this.dropReported = false;
    this.retries = 0;
    this.currentStatus = "connected";
    this.everConnected = true;
    this.options.onMediaEvent({ kind: "connected" });
  }

  /** The media connection that was up is lost (LiveKit reconnecting, or given up). */
  private dropped(): void {
    // Only a connection that was up can drop; one that never came up is a failed join.
    if (this.closed || this.dropReported || (this.currentStatus !== "connected" && this.currentStatus !== "reconnecting")) return;
    this.dropReported = true;
    this.options.onMediaEvent({ kind: "dropped", cause: "sfu_disconnected" });
  }

  private faltering(reason: string): void {
    this.currentStatus = "reconnecting";
    this.reportTrouble(reason);
  }

  private reportTrouble(reason: string): void {
    if (this.closed || this.troubleReported) return;
    this.troubleReported = true;
    this.options.onTrouble(reason);
  }

  private attach(track: RemoteTrack, participant: RemoteParticipant): void {
    const video = this.options.videoFor(participant.identity);
    if (!video || track.attachedElements.includes(video)) return;
    track.detach(); // a replaced tile's old element
    // Audio goes into the tile's <video> as well: one element per participant, like the P2P mesh.
    track.attach(video);
  }

  private async publishLocal(room: Room): Promise<void> {
    const stream = this.options.localStream;
    // Both at once: LiveKit negotiates them together, a round trip sooner than one after the other.
    await Promise.all(
      (stream?.getTracks() ?? []).map(async (track) => {
        const kind: TrackKind = track.kind === "audio" ? "audio" : "video";
        const publication = await room.localParticipant.publishTrack(track, {
          source: kind === "audio" ? Track.Source.Microphone : Track.Source.Camera,
          ...(stream ? { stream: stream.id } : {}),
        });
        if (this.options.isMuted(kind)) await publication.mute();
      }),
    );
  }

  /** Simulcast per the ladder for the camera we hold; LiveKit's defaults when there is none. */
  private publishDefaults(): TrackPublishDefaults {
    const settings = this.options.localStream?.getVideoTracks()[0]?.getSettings();
    if (!settings?.width || !settings.height) return { simulcast: true };
    const plan = simulcastPlan({ width: settings.width, height: settings.height });
    console.info(`[sfu] simulcast layers: ${[...plan.lower, plan.top].map(describeLayer).join(", ")}`);
    return {
      simulcast: true,
      videoEncoding: { maxBitrate: plan.top.maxBitrate, ...(settings.frameRate ? { maxFramerate: settings.frameRate } : {}) },
      videoSimulcastLayers: plan.lower.map((layer) => new VideoPreset(layer.width, layer.height, layer.maxBitrate)),
    };
  }

  private leaveCurrent(): Promise<void> {
    const room = this.room;
    this.room = null;
    this.serverUrl = null;
    if (!room) return Promise.resolve();
    for (const participant of room.remoteParticipants.values()) {
      for (const publication of participant.trackPublications.values()) publication.track?.detach();
    }
    // false: keep our camera and microphone running for the next server or the mesh.
    return room.disconnect(false).catch((error: unknown) => console.warn("[sfu] leaving failed:", error));
  }
}
