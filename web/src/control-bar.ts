import { h } from "./element-builder.ts";
import { icon, type IconName } from "./icons.ts";
import { isModerator, type RoomView } from "./room-view.ts";
import type { LocalPresence } from "./video-grid.ts";

/** The bottom bar: mic, camera, raise hand, lock and recording (hosts), leave, end for all (host). */
export interface ControlActions {
  toggleAudio(): void;
  toggleVideo(): void;
  toggleHand(): void;
  toggleLock(): void;
  leave(): void;
  endForAll(): void;
}

export class ControlBar {
  private readonly mic = this.button("mic-button", () => this.actions.toggleAudio());
  private readonly camera = this.button("camera-button", () => this.actions.toggleVideo());
  private readonly hand = this.button("hand-button", () => this.actions.toggleHand());
  private readonly lock = this.button("lock-button", () => this.actions.toggleLock());
  private readonly leave = this.button("leave-button", () => this.actions.leave(), "danger-outline");
  private readonly end = this.button("end-button", () => this.actions.endForAll(), "danger");
  readonly element = h("nav", { class: "control-bar", attrs: { "aria-label": "Meeting controls" } }, [
    this.mic,
    this.camera,
    this.hand,
    this.lock,
    h("span", { class: "spacer" }),
    this.leave,
    this.end,
  ]);

  /** `recording`: the recording buttons (recording-controls.ts), placed after the host's lock. */
  constructor(
    private readonly actions: ControlActions,
    recording: HTMLElement,
  ) {
    this.lock.after(recording);
  }

  render(view: RoomView, local: LocalPresence, devices: { audio: boolean; video: boolean }): void {
    this.set(this.mic, local.audioMuted ? "micOff" : "mic", local.audioMuted ? "Unmute" : "Mute", local.audioMuted, !devices.audio);
    this.set(
      this.camera,
      local.videoMuted ? "cameraOff" : "camera",
      local.videoMuted ? "Start video" : "Stop video",
      local.videoMuted,
      !devices.video,
    );
    this.set(this.hand, "hand", local.handRaised ? "Lower hand" : "Raise hand", local.handRaised);
    this.set(this.lock, view.locked ? "lock" : "unlock", view.locked ? "Unlock" : "Lock", view.locked);
    this.set(this.leave, "leave", "Leave", false);
    this.set(this.end, "end", "End for all", false);
    this.lock.hidden = !isModerator(view);
    this.end.hidden = view.self?.role !== "host";
  }

  private button(testid: string, onclick: () => void, style = ""): HTMLButtonElement {
    return h("button", { class: `control ${style}`, testid, attrs: { type: "button" }, onclick });
  }

  private set(button: HTMLButtonElement, iconName: IconName, label: string, pressed: boolean, disabled = false): void {
    button.replaceChildren(icon(iconName), h("span", { class: "control-label" }, [label]));
    button.setAttribute("aria-pressed", String(pressed));
    button.setAttribute("aria-label", label);
    button.dataset["state"] = pressed ? "on" : "off";
    button.disabled = disabled;
  }
}
