import { whenFlowing, type MediaEvent } from "./media-event.ts";
import type { SignalPayload } from "./signal-payload.ts";

/**
 * One RTCPeerConnection to one remote participant, negotiated with the "perfect negotiation" pattern:
 * the impolite side makes the first offer (the polite one waits for it); later, both offer when negotiation is needed; on a collision the impolite side ignores the incoming
 * offer and the polite side rolls back its own. Signals are handled one at a time, in arrival order, so an
 * ICE candidate never races ahead of the description it belongs to.
 */
export interface PeerLinkOptions {
  remote: string;
  polite: boolean;
  configuration: RTCConfiguration;
  localStream: MediaStream | null;
  sendSignal(payload: SignalPayload): void;
  onRemoteStream(stream: MediaStream): void;
  onStateChange(state: RTCPeerConnectionState): void;
  /** Remote media arriving, ICE failing before it ever connected, or a connection that was up dropping. */
  onMediaEvent(event: MediaEvent): void;
}

export class PeerLink {
  readonly connection: RTCPeerConnection;
  private readonly remoteStream = new MediaStream();
  private makingOffer = false;
  private ignoreOffer = false;
  private pending: Promise<void> = Promise.resolve();
  private everConnected = false;

  constructor(private readonly options: PeerLinkOptions) {
    const pc = new RTCPeerConnection(options.configuration);
    this.connection = pc;
    const stream = options.localStream;
    if (stream && stream.getTracks().length > 0) {
      for (const track of stream.getTracks()) pc.addTrack(track, stream);
    } else {
      // Nothing to send, but still ask for the peer's media (and give negotiation a reason to start).
      pc.addTransceiver("audio", { direction: "recvonly" });
      pc.addTransceiver("video", { direction: "recvonly" });
    }
    pc.addEventListener("track", ({ track }) => {
      this.remoteStream.addTrack(track);
      options.onRemoteStream(this.remoteStream);
      whenFlowing(track, () => options.onMediaEvent({ kind: "remote_media" }));
    });
    pc.addEventListener("icecandidate", ({ candidate }) => {
      // A null or empty candidate marks the end of gathering; the protocol has no frame for it.
      if (!candidate?.candidate) return;
      options.sendSignal({
        kind: "ice",
        candidate: {
          candidate: candidate.candidate,
          sdpMid: candidate.sdpMid,
          sdpMLineIndex: candidate.sdpMLineIndex,
          usernameFragment: candidate.usernameFragment,
        },
      });
    });
    pc.addEventListener("negotiationneeded", () => {
      // Only the impolite side opens: a polite side rolling back its own first offer left Chromium's ICE
      // gathering stalled (0 candidates) in about one join in five.
      if (options.polite && pc.currentRemoteDescription === null) return;
      void this.offer();
    });
    pc.addEventListener("iceconnectionstatechange", () => this.iceStateChanged());
    pc.addEventListener("connectionstatechange", () => {
      if (pc.connectionState === "connected" && !this.everConnected) {
        this.everConnected = true;
        options.onMediaEvent({ kind: "connected" });
      }
      options.onStateChange(pc.connectionState);
    });
  }

  private iceStateChanged(): void {
    const state = this.connection.iceConnectionState;
    if (state !== "failed" && state !== "disconnected") return;
    if (this.everConnected) this.options.onMediaEvent({ kind: "dropped", cause: state === "failed" ? "ice_failed" : "ice_disconnected" });
    else if (state === "failed") this.options.onMediaEvent({ kind: "attempt_failed", outcome: "failed_ice" });
    if (state === "failed") this.connection.restartIce();
  }

  receive(payload: SignalPayload): void {
    this.pending = this.pending
      .then(() => this.handle(payload))
      .catch((error: unknown) => {
        console.warn(`[peer ${this.options.remote}] signal failed:`, error);
      });
  }

  close(): void {
    this.connection.close();
    for (const track of this.remoteStream.getTracks()) track.stop();
  }

  private async offer(): Promise<void> {
    const pc = this.connection;
    try {
      this.makingOffer = true;
      await pc.setLocalDescription();
      const description = pc.localDescription;
      if (description?.type === "offer") this.options.sendSignal({ kind: "offer", sdp: description.sdp });
    } catch (error) {
      console.warn(`[peer ${this.options.remote}] offer failed:`, error);
    } finally {
      this.makingOffer = false;
    }
  }

  private async handle(payload: SignalPayload): Promise<void> {
    const pc = this.connection;
    if (pc.signalingState === "closed") return;
    if (payload.kind === "ice") {
      try {
        await pc.addIceCandidate(payload.candidate);
      } catch (error) {
        // Candidates of an offer we chose to ignore are expected to fail.
        if (!this.ignoreOffer) throw error;
      }
      return;
    }
    const collision = payload.kind === "offer" && (this.makingOffer || pc.signalingState !== "stable");
    this.ignoreOffer = !this.options.polite && collision;
    if (this.ignoreOffer) return;
    // setRemoteDescription rolls back our own pending offer implicitly when we are the polite side.
    await pc.setRemoteDescription({ type: payload.kind, sdp: payload.sdp });
    if (payload.kind === "offer") {
      await pc.setLocalDescription();
      const answer = pc.localDescription;
      if (answer?.type === "answer") this.options.sendSignal({ kind: "answer", sdp: answer.sdp });
    }
  }
}
