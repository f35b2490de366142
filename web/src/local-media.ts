/**
 * This participant's camera and microphone. Muting disables the track (the peer connections keep their
 * senders, so unmuting needs no renegotiation). Without a device the page still joins, receive-only.
 */
export type TrackKind = "audio" | "video";

export class LocalMedia {
  private constructor(readonly stream: MediaStream | null) {}

  static async acquire(): Promise<{ media: LocalMedia; error: string | null }> {
    try {
      const stream = await navigator.mediaDevices.getUserMedia({
        audio: true,
        video: { width: { ideal: 640 }, height: { ideal: 360 } },
      });
      return { media: new LocalMedia(stream), error: null };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return { media: new LocalMedia(null), error: `No camera or microphone (${reason}); joining receive-only` };
    }
  }

  tracks(): MediaStreamTrack[] {
    return this.stream?.getTracks() ?? [];
  }

  has(kind: TrackKind): boolean {
    return this.track(kind) !== undefined;
  }

  isMuted(kind: TrackKind): boolean {
    return !(this.track(kind)?.enabled ?? false);
  }

  setMuted(kind: TrackKind, muted: boolean): void {
    const track = this.track(kind);
    if (track) track.enabled = !muted;
  }

  stop(): void {
    for (const track of this.tracks()) track.stop();
  }

  private track(kind: TrackKind): MediaStreamTrack | undefined {
    return kind === "audio" ? this.stream?.getAudioTracks()[0] : this.stream?.getVideoTracks()[0];
  }
}
