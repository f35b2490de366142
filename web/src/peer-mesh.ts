import type { MediaEvent } from "./media-event.ts";
import { PeerLink } from "./peer-link.ts";
import type { SignalPayload } from "./signal-payload.ts";

/**
 * Full-mesh P2P media for small meetings: one PeerLink per other participant, kept in step with the roster.
 * Politeness comes from comparing identities, so each pair agrees on it without another message.
 */
export interface PeerMeshOptions {
  self: string;
  configuration: RTCConfiguration;
  localStream: MediaStream | null;
  sendSignal(to: string, payload: SignalPayload): void;
  onRemoteStream(identity: string, stream: MediaStream): void;
  onPeerState(identity: string, state: RTCPeerConnectionState): void;
  onMediaEvent(identity: string, event: MediaEvent): void;
}

export class PeerMesh {
  private readonly links = new Map<string, PeerLink>();

  constructor(private readonly options: PeerMeshOptions) {}

  /** Opens links to newcomers and closes links to anyone no longer in `identities`. */
  sync(identities: Iterable<string>): void {
    const wanted = new Set(identities);
    wanted.delete(this.options.self);
    for (const identity of [...this.links.keys()]) if (!wanted.has(identity)) this.drop(identity);
    for (const identity of wanted) this.link(identity);
  }

  /** A participant who joined again has a new peer connection on their side: start over with them. */
  restart(identity: string): void {
    this.drop(identity);
    this.link(identity);
  }

  receive(from: string, payload: SignalPayload): void {
    if (from === this.options.self) return;
    this.link(from).receive(payload);
  }

  drop(identity: string): void {
    this.links.get(identity)?.close();
    this.links.delete(identity);
  }

  closeAll(): void {
    for (const identity of [...this.links.keys()]) this.drop(identity);
  }

  peerConnections(): Map<string, RTCPeerConnection> {
    return new Map([...this.links].map(([identity, link]) => [identity, link.connection]));
  }

  private link(identity: string): PeerLink {
    let link = this.links.get(identity);
    if (!link) {
      link = new PeerLink({
        remote: identity,
        polite: this.options.self < identity,
        configuration: this.options.configuration,
        localStream: this.options.localStream,
        sendSignal: (payload) => this.options.sendSignal(identity, payload),
        onRemoteStream: (stream) => this.options.onRemoteStream(identity, stream),
        onStateChange: (state) => this.options.onPeerState(identity, state),
        onMediaEvent: (event) => this.options.onMediaEvent(identity, event),
      });
      this.links.set(identity, link);
    }
    return link;
  }
}
