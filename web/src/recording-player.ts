import type Hls from "hls.js";
import { h, setChildren } from "./element-builder.ts";

/**
 * Plays a finished recording in the page: its signed HLS master playlist in a <video>, through hls.js (Media
 * Source Extensions), or the browser's own HLS where it has no MSE. hls.js comes first even where the browser
 * claims HLS (Chromium answers "maybe"): its adaptive switching and error reports are the same everywhere. hls.js is loaded on first use, as its own chunk,
 * so the meeting page does not carry it until a host presses Play.
 */
export interface PlaybackState {
  recordingId: string;
  status: "loading" | "playing" | "paused" | "ended" | "error";
  error: string | null;
  /** Frames the browser decoded and presented (`getVideoPlaybackQuality`), so a test can see real playback. */
  decodedFrames: number;
  currentTime: number;
  width: number;
  height: number;
  /** Rendition heights the master playlist offers (hls.js only). */
  levels: number[];
  /** What plays it: hls.js over Media Source Extensions, or the browser's own HLS. */
  engine: "hls.js" | "native" | null;
}

export class RecordingPlayer {
  private readonly title = h("h2", {});
  private readonly frame = h("div", { class: "player-frame" });
  private readonly message = h("p", { class: "muted", testid: "player-message" });
  private video: HTMLVideoElement | null = null;
  private hls: Hls | null = null;
  private current: Pick<PlaybackState, "recordingId" | "error" | "levels" | "engine"> | null = null;
  readonly element: HTMLElement;

  constructor() {
    const close = h(
      "button",
      { class: "button secondary", testid: "player-close", attrs: { type: "button" }, onclick: () => this.close() },
      ["Close"],
    );
    this.element = h(
      "div",
      { class: "overlay player-overlay", testid: "recording-player", attrs: { hidden: true, role: "dialog", "aria-label": "Recording" } },
      [h("div", { class: "card player-card" }, [h("div", { class: "player-head" }, [this.title, close]), this.frame, this.message])],
    );
  }

  async open(recordingId: string, playbackUrl: string): Promise<void> {
    this.close();
    const video = h("video", { testid: "player-video", attrs: { controls: true, playsinline: true } });
    this.video = video;
    this.current = { recordingId, error: null, levels: [], engine: null };
    this.title.textContent = "Recording";
    this.message.textContent = "Loading…";
    setChildren(this.frame, [video]);
    this.element.hidden = false;
    video.addEventListener("playing", () => (this.message.textContent = ""));
    video.addEventListener("error", () => this.fail(video.error?.message || "the browser could not play this recording"));
    const { default: HlsPlayer } = await import("hls.js");
    if (this.video !== video) return; // closed or replaced while hls.js loaded
    if (!HlsPlayer.isSupported()) {
      // No Media Source Extensions (iOS Safari): the browser's own HLS, if it has one.
      if (!video.canPlayType("application/vnd.apple.mpegurl")) return this.fail("this browser cannot play HLS");
      this.current.engine = "native";
      video.src = playbackUrl;
      return this.play(video);
    }
    const hls = new HlsPlayer();
    this.hls = hls;
    this.current.engine = "hls.js";
    hls.on(HlsPlayer.Events.MANIFEST_PARSED, (_event, data) => {
      if (this.current) this.current.levels = data.levels.map((level) => level.height);
      void this.play(video);
    });
    hls.on(HlsPlayer.Events.ERROR, (_event, data) => {
      if (data.fatal) this.fail(`${data.type}: ${data.details}`);
    });
    hls.loadSource(playbackUrl);
    hls.attachMedia(video);
  }

  close(): void {
    this.hls?.destroy();
    this.hls = null;
    this.video?.removeAttribute("src");
    this.video?.load();
    this.video = null;
    this.current = null;
    this.frame.replaceChildren();
    this.element.hidden = true;
  }

  state(): PlaybackState | null {
    const [video, current] = [this.video, this.current];
    if (!video || !current) return null;
    const quality = video.getVideoPlaybackQuality();
    const status = current.error ? "error" : video.ended ? "ended" : video.readyState < 2 ? "loading" : video.paused ? "paused" : "playing";
    return {
      ...current,
      status,
      decodedFrames: quality.totalVideoFrames - quality.droppedVideoFrames,
      currentTime: video.currentTime,
      width: video.videoWidth,
      height: video.videoHeight,
    };
  }

  private async play(video: HTMLVideoElement): Promise<void> {
    try {
      await video.play();
    } catch (error) {
      // Autoplay with sound can be refused once the click that opened the player is too long ago: play muted.
      if (!(error instanceof DOMException && error.name === "NotAllowedError") || this.video !== video) return;
      video.muted = true;
      await video.play().catch(() => undefined);
    }
  }

  private fail(reason: string): void {
    if (this.current) this.current.error = reason;
    this.message.textContent = `Can't play the recording: ${reason}`;
  }
}
