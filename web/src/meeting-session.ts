import type { ServerFrame } from "../../protocol/server-frames.ts";
import { ApiProblem, type ApiClient, type JoinRole, type JoinToken } from "./api-client.ts";
import { CallMedia } from "./call-media.ts";
import { CallTelemetry } from "./call-telemetry.ts";
import { ChatPanel } from "./chat-panel.ts";
import { ConsentPrompt } from "./consent-prompt.ts";
import { ControlBar } from "./control-bar.ts";
import { h } from "./element-builder.ts";
import { LobbyPanel } from "./lobby-panel.ts";
import type { LocalMedia, TrackKind } from "./local-media.ts";
import type { MediaEvent } from "./media-event.ts";
import { MeetingHeader } from "./meeting-header.ts";
import { randomId } from "./random-id.ts";
import { ReadyRecordings } from "./ready-recordings.ts";
import { RecordingBanner } from "./recording-banner.ts";
import { RecordingControls } from "./recording-controls.ts";
import { RecordingPlayer } from "./recording-player.ts";
import { recordingNotice } from "./recording-status.ts";
import { RoomConnection, TerminalConnectError, type ConnectionStatus, type OutgoingFrame } from "./room-connection.ts";
import { applyFrame, initialRoomView, isModerator, nameOf, type RoomView } from "./room-view.ts";
import { RosterPanel } from "./roster-panel.ts";
import { SidePanel } from "./side-panel.ts";
import { parseSignalPayload } from "./signal-payload.ts";
import { StatusOverlay } from "./status-overlay.ts";
import { exposeTestHooks } from "./test-hooks.ts";
import { showToast } from "./toasts.ts";
import { VideoGrid, type LocalPresence } from "./video-grid.ts";

/**
 * One participant's time in one meeting: owns the room connection, the call's media (P2P mesh or SFU) and
 * the meeting screen. Frames update the pure RoomView first; this class then applies their side effects
 * (media path, forced mute, toasts) and re-renders.
 */
export interface MeetingSessionOptions {
  api: ApiClient;
  meetingId: string;
  title: string;
  joinLink: string;
  identity: string;
  displayName: string;
  role: JoinRole;
  token: JoinToken;
  forceRelay: boolean;
  /** How often the call's quality is sampled and sent to the room (5 s; tests shorten it). */
  sampleIntervalMs: number;
  /** When the join token was asked for and arrived (`performance.now()`), for the join's timing. */
  tokenTiming: { requestedAt: number; receivedAt: number };
  media: LocalMedia;
  root: HTMLElement;
  /** Back to the start screen. */
  onExit(): void;
}

/** Mint a new token when the current one has less than this left: the connect route checks `exp`. */
const tokenRefreshMarginMs = 15_000;

export class MeetingSession {
  private view: RoomView = initialRoomView;
  private local: LocalPresence;
  private token: JoinToken;
  private left = false;
  private lastStatus: ConnectionStatus["kind"] | null = null;
  private readonly connection: RoomConnection;
  private readonly call: CallMedia;
  private readonly telemetry: CallTelemetry;
  private readonly header: MeetingHeader;
  private readonly grid: VideoGrid;
  private readonly chat: ChatPanel;
  private readonly roster: RosterPanel;
  private readonly lobby: LobbyPanel;
  private readonly side: SidePanel;
  private readonly controls: ControlBar;
  private readonly overlay = new StatusOverlay();
  private readonly recordingBanner: RecordingBanner;
  private readonly consentPrompt: ConsentPrompt;
  private readonly recordingControls: RecordingControls;
  private readonly readyRecordings: ReadyRecordings;
  private readonly player = new RecordingPlayer();

  constructor(private readonly options: MeetingSessionOptions) {
    const { media } = options;
    this.token = options.token;
    this.local = { audioMuted: media.isMuted("audio"), videoMuted: media.isMuted("video"), handRaised: false };
    this.header = new MeetingHeader(options.title, options.joinLink);
    this.header.setTitle(options.title);
    this.grid = new VideoGrid(options.identity, media.stream);
    this.chat = new ChatPanel({
      send: (body) => this.sendOrWarn({ type: "chat_send", clientMessageId: randomId(16), body, attachments: [] }),
      loadEarlier: (beforeSeq) => void this.sendOrWarn({ type: "chat_history", beforeSeq, limit: 50 }),
    });
    this.roster = new RosterPanel({
      mute: (target, track) => void this.sendOrWarn({ type: "mute", target, track }),
      muteAll: (track) => void this.sendOrWarn({ type: "mute_all", track }),
      remove: (target) => void this.sendOrWarn({ type: "remove", target }),
      setRole: (target, role) => void this.sendOrWarn({ type: "set_role", target, role }),
      spotlight: (target) => void this.sendOrWarn({ type: "spotlight", target }),
      excludeFromRecording: (target, excluded) => void this.sendOrWarn({ type: "recording_exclude", target, excluded }),
    });
    const answerConsent = (accept: boolean) => void this.sendOrWarn({ type: "recording_consent", accept });
    this.recordingBanner = new RecordingBanner({ answerConsent });
    this.consentPrompt = new ConsentPrompt({ answerConsent });
    this.recordingControls = new RecordingControls({
      start: ({ layout, consentRequired }) => void this.sendOrWarn({ type: "recording", action: "start", layout, consentRequired }),
      pause: () => void this.sendOrWarn({ type: "recording", action: "pause" }),
      resume: () => void this.sendOrWarn({ type: "recording", action: "resume" }),
      stop: () => void this.sendOrWarn({ type: "recording", action: "stop" }),
    });
    this.readyRecordings = new ReadyRecordings({
      play: (recording) =>
        void this.player.open(recording.recordingId, recording.playbackUrl).catch((error: unknown) => {
          showToast(`Can't play the recording: ${error instanceof Error ? error.message : String(error)}`, { code: "playback_failed" });
        }),
    });
    this.lobby = new LobbyPanel({
      admit: (target) => void this.sendOrWarn({ type: "admit", target }),
      deny: (target) => void this.sendOrWarn({ type: "deny", target }),
    });
    this.side = new SidePanel({ chat: this.chat.element, people: this.roster.element, lobby: this.lobby.element });
    this.controls = new ControlBar(
      {
        toggleAudio: () => this.setMuted("audio", !this.local.audioMuted),
        toggleVideo: () => this.setMuted("video", !this.local.videoMuted),
        toggleHand: () => this.setPresence({ handRaised: !this.local.handRaised }),
        toggleLock: () => void this.sendOrWarn({ type: "lock", locked: !this.view.locked }),
        leave: () => this.leave(),
        endForAll: () => void this.sendOrWarn({ type: "end_meeting" }),
      },
      this.recordingControls.element,
    );
    this.call = new CallMedia({
      self: options.identity,
      media,
      forceRelay: options.forceRelay,
      grid: this.grid,
      sendSignal: (to, payload) => void this.connection.send({ type: "signal", to, payload }),
      reportMediaTrouble: () => void this.connection.send({ type: "media_trouble" }),
      onMediaEvent: (event) => this.mediaEvent(event),
    });
    this.telemetry = new CallTelemetry({
      intervalMs: options.sampleIntervalMs,
      // The room refuses telemetry from the lobby; until we are in, frames wait.
      send: (frame) => (this.view.phase === "in_meeting" ? this.connection.send(frame) : null),
      readStats: async () =>
        this.view.phase !== "in_meeting"
          ? null
          : {
              connections: await this.call.stats(),
              context: { path: this.call.mode, sfuQuality: this.call.sfuQuality, videoMuted: this.local.videoMuted },
            },
      alone: () => this.view.roster.every((entry) => entry.identity === options.identity),
    });
    this.telemetry.mark({ kind: "token", requestedAt: options.tokenTiming.requestedAt, receivedAt: options.tokenTiming.receivedAt });
    this.connection = new RoomConnection({
      connectUrl: (attempt) => this.connectUrl(attempt),
      onFrame: (frame) => this.receive(frame),
      onStatus: (status) => this.statusChanged(status),
      onInvalidFrame: (detail) => console.warn(`[room] dropped a frame: ${detail}`),
    });
    exposeTestHooks({
      state: () => ({
        connected: this.connection.isOpen && this.view.phase === "in_meeting",
        identity: options.identity,
        roster: this.view.roster.map((entry) => entry.identity),
        lastSeq: this.connection.seq,
        phase: this.view.phase,
        mediaMode: this.call.mode,
        sfu: { status: this.call.sfuStatus, url: this.call.sfuUrl },
        recording: this.view.recording ? { phase: this.view.recording.phase, recordingId: this.view.recording.recordingId } : null,
        readyRecordings: this.view.readyRecordings.map((recording) => recording.recordingId),
      }),
      peerConnections: () => this.call.peerConnections(),
      sfuInbound: () => this.call.sfuInbound(),
      playback: () => this.player.state(),
    });
  }

  start(): void {
    this.options.root.replaceChildren(
      h("div", { class: "meeting", testid: "meeting" }, [
        this.header.element,
        h("div", { class: "meeting-notices" }, [this.recordingBanner.element, this.readyRecordings.element]),
        h("div", { class: "meeting-body" }, [this.grid.element, this.side.element]),
        this.controls.element,
      ]),
      this.consentPrompt.element,
      this.player.element,
      this.overlay.element,
    );
    this.render();
    this.telemetry.mark({ kind: "socket_opening", at: performance.now() });
    this.connection.start();
  }

  private async connectUrl(attempt: number): Promise<string> {
    const expiring = Date.parse(this.token.expiresAt) - Date.now() < tokenRefreshMarginMs;
    // After two failed opens in a row the token itself may be the problem (a browser can't read the 401).
    if (expiring || attempt >= 2) {
      try {
        this.token = await this.options.api.mintJoinToken(this.options.meetingId, {
          identity: this.options.identity,
          name: this.options.displayName,
          role: this.options.role,
        });
      } catch (error) {
        if (error instanceof ApiProblem && (error.code === "meeting_ended" || error.code === "not_found")) {
          throw new TerminalConnectError(error.message);
        }
        throw error;
      }
    }
    return this.token.connectUrl;
  }

  private receive(frame: ServerFrame): void {
    const before = this.view;
    this.view = applyFrame(before, frame);
    this.applyEffects(before, frame);
    this.render();
  }

  private applyEffects(before: RoomView, frame: ServerFrame): void {
    const notice = recordingNotice(before, this.view);
    if (notice) showToast(notice);
    switch (frame.type) {
      case "welcome":
        this.telemetry.mark({ kind: "admitted", at: performance.now(), path: frame.mediaMode, alone: this.view.roster.length <= 1 });
        // A welcome (first, after admission, or when a resume was impossible) replaces everything: new TURN
        // credentials, and peers that may have dropped us, so the mesh starts over (or the SFU carries on).
        this.call.restart(frame.mediaMode, this.view.iceServers, this.rosterIdentities());
        this.overlay.hide();
        this.header.setStatus({ kind: "open" });
        if (before.phase === "waiting") showToast("You're in");
        this.announcePresence();
        return;
      case "resumed":
        this.announcePresence(); // toggles made while disconnected were not sent
        this.telemetry.poke();
        return;
      case "waiting_room":
        this.telemetry.mark({ kind: "answered", at: performance.now() });
        this.header.setStatus({ kind: "waiting" });
        this.overlay.show({ state: "waiting", title: "Waiting to be let in", detail: "The host has been told you're here." });
        return;
      case "participant_joined":
        if (frame.participant.identity !== this.options.identity) this.telemetry.mark({ kind: "company", at: performance.now() });
        if (before.roster.some((entry) => entry.identity === frame.participant.identity)) this.call.rejoined(frame.participant.identity);
        else this.call.rosterChanged(this.rosterIdentities());
        return;
      case "participant_left":
        this.call.left(frame.identity);
        return;
      case "participant_updated":
        if (frame.participant.identity === this.options.identity && frame.participant.role !== before.self?.role) {
          showToast(`You are now ${frame.participant.role === "cohost" ? "a cohost" : `a ${frame.participant.role}`}`);
        }
        return;
      case "lobby_updated":
        if (isModerator(this.view) && frame.lobby.length > before.lobby.length) {
          showToast(`${frame.lobby.at(-1)?.name ?? "Someone"} is waiting in the lobby`);
        }
        return;
      case "signal": {
        const payload = parseSignalPayload(frame.payload);
        if (payload) this.call.signal(frame.from, payload);
        else console.warn(`[room] ignored an invalid signal from ${frame.from}`);
        return;
      }
      case "muted":
        // A host's mute is not a request: the track goes silent here, then the room learns our new state.
        this.options.media.setMuted(frame.track, true);
        this.call.setMuted(frame.track, true);
        this.local = { ...this.local, [frame.track === "audio" ? "audioMuted" : "videoMuted"]: true };
        this.announcePresence();
        showToast(`${nameOf(this.view, frame.by)} turned off your ${frame.track === "audio" ? "microphone" : "camera"}`);
        return;
      case "media_mode":
        this.call.switchTo(frame.mode, this.view.iceServers, this.rosterIdentities());
        return;
      case "sfu_join":
        this.call.joinSfu(frame.url, frame.token);
        return;
      case "meeting_locked":
        showToast(`${nameOf(this.view, frame.by)} ${frame.locked ? "locked" : "unlocked"} the meeting`);
        return;
      case "recording_ready":
        showToast("A recording of this meeting is ready: press Play above the video to watch it");
        return;
      case "denied":
        this.finish("denied", "You were not let in", "The host declined your request to join.");
        return;
      case "removed":
        this.finish("removed", "You were removed", this.view.farewell ?? "");
        return;
      case "meeting_ended":
        this.finish("ended", "The meeting has ended", this.view.farewell ?? "");
        return;
      case "error":
        // A refused quality sample or event is nothing the user can act on.
        if (this.telemetry.sent(frame.ref)) console.warn(`[quality] the room refused telemetry: ${frame.code}`);
        else showToast(frame.message, { code: frame.code });
        return;
      case "chat_message":
      case "chat_updated":
      case "chat_history":
      case "spotlight":
      case "recording_state":
      case "pong":
      case "attachment_upload":
      case "attachment_download":
      case "media_state":
      case "e2ee_key":
      case "e2ee_key_package":
      case "e2ee_rotate":
        return;
      default:
        frame satisfies never;
    }
  }

  private mediaEvent(event: MediaEvent): void {
    const path = this.call.mode;
    const at = performance.now();
    switch (event.kind) {
      case "connected":
        return this.telemetry.mark({ kind: "media_connected", at, path });
      case "remote_media":
        return this.telemetry.mark({ kind: "first_media", at, path });
      case "attempt_failed":
        return this.telemetry.mark({ kind: "attempt_failed", at, path, outcome: event.outcome });
      case "dropped":
        return this.telemetry.drop(event.cause, path);
      default:
        event satisfies never;
    }
  }

  private rosterIdentities(): string[] {
    return this.view.roster.map((entry) => entry.identity);
  }

  private statusChanged(status: ConnectionStatus): void {
    const was = this.lastStatus;
    this.lastStatus = status.kind;
    if (status.kind === "reconnecting" && was === "open" && this.view.phase === "in_meeting")
      this.telemetry.drop("socket_closed", this.call.mode);
    if (this.view.phase !== "waiting" || status.kind !== "open") this.header.setStatus(status);
    if (status.kind === "closed" && !this.left && ["joining", "waiting", "in_meeting"].includes(this.view.phase)) {
      this.finish("closed", "Disconnected", status.reason || `The connection closed (${status.code}).`);
    }
  }

  private setMuted(kind: TrackKind, muted: boolean): void {
    this.options.media.setMuted(kind, muted);
    this.call.setMuted(kind, muted);
    this.setPresence(kind === "audio" ? { audioMuted: muted } : { videoMuted: muted });
  }

  private setPresence(change: Partial<LocalPresence>): void {
    this.local = { ...this.local, ...change };
    this.announcePresence();
    this.render();
  }

  private announcePresence(): void {
    this.connection.send({ type: "presence", ...this.local });
  }

  /** Sends a frame, or says why not; returns whether it went out. */
  private sendOrWarn(frame: OutgoingFrame): boolean {
    const sent = this.connection.send(frame) !== null;
    if (!sent) showToast("Not connected; try again in a moment", { code: "not_connected" });
    return sent;
  }

  private leave(): void {
    this.left = true;
    this.telemetry.leave(); // before the socket closes: a join still under way gave up
    this.connection.close("left");
    this.finish("left", "You left the meeting", "");
  }

  private finish(state: string, title: string, detail: string): void {
    this.telemetry.stop();
    this.call.close();
    this.player.close();
    this.options.media.stop();
    this.overlay.show({ state, title, detail, action: { label: "Back to start", run: () => this.options.onExit() } });
  }

  private render(): void {
    const view = this.view;
    const moderator = isModerator(view);
    this.header.setLocked(view.locked);
    this.grid.render(view, this.local);
    this.call.rendered();
    this.chat.render(view);
    this.roster.render(view);
    this.recordingBanner.render(view);
    this.consentPrompt.render(view);
    this.recordingControls.render(view);
    this.readyRecordings.render(view);
    this.lobby.render(view);
    this.side.setVisible("lobby", moderator);
    this.side.setBadge("lobby", view.lobby.length);
    this.side.setBadge("people", view.roster.length);
    this.controls.render(view, this.local, { audio: this.options.media.has("audio"), video: this.options.media.has("video") });
  }
}
