import type { ConnectionQuality } from "../../protocol/call-quality.ts";
import type { InboundMedia } from "./inbound-media.ts";
import type { LocalMedia, TrackKind } from "./local-media.ts";
import type { MediaEvent } from "./media-event.ts";
import { PeerMesh } from "./peer-mesh.ts";
import type { StatsEntry } from "./quality-sampler.ts";
import type { IceServer, MediaMode } from "./room-view.ts";
import { SfuLink, type SfuStatus } from "./sfu-link.ts";
import type { SignalPayload } from "./signal-payload.ts";
import { entriesOf } from "./stats-report.ts";
import type { VideoGrid } from "./video-grid.ts";

/**
 * The call's media path, one at a time: a P2P mesh over `signal` frames while the meeting is small, or a
 * LiveKit room once the meeting room has moved it to the SFU (`media_mode`, `sfu_join`). Both render into
 * the same tiles, keyed by identity, and use the camera and microphone the page acquired once.
 */
export interface CallMediaOptions {
  self: string;
  media: LocalMedia;
  forceRelay: boolean;
  grid: VideoGrid;
  sendSignal(to: string, payload: SignalPayload): void;
  /** Our SFU connection is failing: the meeting room checks the node and moves the meeting if it is down. */
  reportMediaTrouble(): void;
  /** Connections coming up, failing or dropping, and remote media arriving, on either path. */
  onMediaEvent(event: MediaEvent): void;
}

export class CallMedia {
  private currentMode: MediaMode = "p2p";
  private mesh: PeerMesh | null = null;
  private sfu: SfuLink | null = null;

  constructor(private readonly options: CallMediaOptions) {}

  get mode(): MediaMode {
    return this.currentMode;
  }

  get sfuStatus(): SfuStatus {
    return this.sfu?.status ?? "idle";
  }

  get sfuUrl(): string | null {
    return this.sfu?.url ?? null;
  }

  /**
   * After a welcome. P2P: the mesh starts over (new TURN credentials; peers may have dropped us). SFU: an
   * existing LiveKit connection carries on; without one, the `sfu_join` that follows brings credentials.
   */
  restart(mode: MediaMode, iceServers: readonly IceServer[], roster: readonly string[]): void {
    this.closeMesh();
    this.currentMode = mode;
    if (mode === "sfu") return;
    this.closeSfu();
    this.startMesh(iceServers, roster);
  }

  /** `media_mode`: to the SFU (the mesh goes at once), or back to P2P when no node could take the meeting. */
  switchTo(mode: MediaMode, iceServers: readonly IceServer[], roster: readonly string[]): void {
    if (mode === this.currentMode) return;
    this.restart(mode, iceServers, roster);
  }

  /** `sfu_join`: connect, or move to this server now if already connected elsewhere. */
  joinSfu(url: string, token: string): void {
    this.closeMesh();
    this.currentMode = "sfu";
    this.sfu ??= new SfuLink({
      localStream: this.options.media.stream,
      isMuted: (kind) => this.options.media.isMuted(kind),
      videoFor: (identity) => this.options.grid.videoFor(identity),
      onPeerState: (identity, state) => this.options.grid.setPeerState(identity, state),
      onTrouble: (reason) => {
        console.warn(`[sfu] media trouble: ${reason}`);
        this.options.reportMediaTrouble();
      },
      onMediaEvent: (event) => this.options.onMediaEvent(event),
    });
    this.sfu.join(url, token);
  }

  rosterChanged(roster: readonly string[]): void {
    this.mesh?.sync(roster);
  }

  /** A participant who joined again has a new peer connection on their side. */
  rejoined(identity: string): void {
    this.mesh?.restart(identity);
  }

  left(identity: string): void {
    this.mesh?.drop(identity);
  }

  signal(from: string, payload: SignalPayload): void {
    this.mesh?.receive(from, payload);
  }

  setMuted(kind: TrackKind, muted: boolean): void {
    this.sfu?.setMuted(kind, muted);
  }

  /** After the grid renders: tiles may have been created for tracks that arrived first. */
  rendered(): void {
    this.sfu?.refresh();
  }

  close(): void {
    this.closeMesh();
    this.closeSfu();
  }

  peerConnections(): Map<string, RTCPeerConnection> {
    return this.mesh?.peerConnections() ?? new Map();
  }

  sfuInbound(): Promise<Record<string, InboundMedia>> {
    return this.sfu?.inbound() ?? Promise.resolve({});
  }

  /** Every connection's stats entries, by connection: `peer:<identity>` in the mesh, the SFU's publisher and subscriber. */
  async stats(): Promise<Record<string, StatsEntry[]>> {
    if (this.currentMode === "sfu") return this.sfu?.stats() ?? {};
    const peers = [...(this.mesh?.peerConnections() ?? [])];
    const reports = await Promise.all(peers.map(([, pc]) => pc.getStats().then(entriesOf, () => [])));
    return Object.fromEntries(peers.map(([identity], i) => [`peer:${identity}`, reports[i] ?? []]));
  }

  /** LiveKit's rating of our connection (SFU only). */
  get sfuQuality(): ConnectionQuality | undefined {
    return this.currentMode === "sfu" ? this.sfu?.localQuality : undefined;
  }

  private startMesh(iceServers: readonly IceServer[], roster: readonly string[]): void {
    const { grid } = this.options;
    this.mesh = new PeerMesh({
      self: this.options.self,
      configuration: {
        iceServers: iceServers.map((server) => ({ ...server })),
        ...(this.options.forceRelay ? { iceTransportPolicy: "relay" as const } : {}),
      },
      localStream: this.options.media.stream,
      sendSignal: (to, payload) => this.options.sendSignal(to, payload),
      onRemoteStream: (identity, stream) => grid.attachStream(identity, stream),
      onPeerState: (identity, state) => grid.setPeerState(identity, state),
      onMediaEvent: (_identity, event) => this.options.onMediaEvent(event),
    });
    this.mesh.sync(roster);
  }

  private closeMesh(): void {
    if (!this.mesh) return;
    // Their tiles wait for the next path (the SFU or a new mesh) rather than show a closed connection as live.
    for (const identity of this.mesh.peerConnections().keys()) this.options.grid.setPeerState(identity, "connecting");
    this.mesh.closeAll();
    this.mesh = null;
  }

  private closeSfu(): void {
    void this.sfu?.close();
    this.sfu = null;
  }
}
