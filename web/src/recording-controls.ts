import type { RecordingLayout } from "../../protocol/recording-indicator.ts";
import { h } from "./element-builder.ts";
import { icon, type IconName } from "./icons.ts";
import type { RoomView } from "./room-view.ts";
import { recordingControls } from "./recording-status.ts";

/**
 * The control bar's recording buttons, for hosts and cohosts: "Record" opens a small form (layout, ask for
 * consent) that starts a recording; while one runs, "Pause"/"Resume" and "Stop recording". The room decides:
 * a refused command comes back as an error frame and a toast.
 */
export interface RecordingControlActions {
  start(options: { layout: RecordingLayout; consentRequired: boolean }): void;
  pause(): void;
  resume(): void;
  stop(): void;
}

export class RecordingControls {
  private readonly record = this.button("record-button", () => this.onRecord());
  private readonly pauseResume = this.button("record-pause-button", () => this.onPauseResume());
  private readonly layout = h("select", { testid: "record-layout", attrs: { "aria-label": "Recording layout" } }, [
    h("option", { attrs: { value: "grid" } }, ["Grid: everyone in equal tiles"]),
    h("option", { attrs: { value: "speaker" } }, ["Speaker: the active speaker large"]),
  ]);
  private readonly consent = h("input", { testid: "record-consent", attrs: { type: "checkbox" } });
  private readonly form: HTMLFormElement;
  private controls: ReturnType<typeof recordingControls> = null;
  readonly element: HTMLElement;

  constructor(private readonly actions: RecordingControlActions) {
    this.form = h(
      "form",
      { class: "record-form card", testid: "record-form", attrs: { hidden: true, "aria-label": "Start a recording" } },
      [
        h("h2", {}, ["Record this meeting"]),
        h("label", { class: "field" }, [h("span", {}, ["Layout"]), this.layout]),
        h("label", { class: "check" }, [this.consent, "Ask everyone for consent first"]),
        h("p", { class: "muted" }, ["Everyone sees that the meeting is recorded. A peer-to-peer call moves through the media server."]),
        h("div", { class: "consent-actions" }, [
          h("button", { class: "button secondary", testid: "record-cancel", attrs: { type: "button" }, onclick: () => this.closeForm() }, [
            "Cancel",
          ]),
          h("button", { class: "button primary", testid: "record-start", attrs: { type: "submit" } }, ["Start recording"]),
        ]),
      ],
    );
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.closeForm();
      const layout: RecordingLayout = this.layout.value === "speaker" ? "speaker" : "grid";
      this.actions.start({ layout, consentRequired: this.consent.checked });
    });
    this.element = h("span", { class: "recording-controls" }, [this.record, this.pauseResume, this.form]);
  }

  render(view: RoomView): void {
    const controls = recordingControls(view);
    this.controls = controls;
    this.element.hidden = controls === null;
    if (!controls) return this.closeForm();
    if (!controls.start) this.closeForm();
    if (controls.start) this.set(this.record, "record", "Record", false, false);
    else this.set(this.record, "stop", "Stop recording", true, !controls.stop);
    this.record.dataset["action"] = controls.start ? "start" : "stop";
    this.pauseResume.hidden = controls.pauseOrResume === null;
    if (controls.pauseOrResume === "resume") this.set(this.pauseResume, "play", "Resume", true, false);
    else this.set(this.pauseResume, "pause", "Pause", false, false);
    this.pauseResume.dataset["action"] = controls.pauseOrResume ?? "";
  }

  private onRecord(): void {
    if (this.controls?.start) {
      this.form.hidden = !this.form.hidden;
      this.record.setAttribute("aria-expanded", String(!this.form.hidden));
      if (!this.form.hidden) this.layout.focus();
    } else if (this.controls?.stop) this.actions.stop();
  }

  private onPauseResume(): void {
    if (this.controls?.pauseOrResume === "pause") this.actions.pause();
    else if (this.controls?.pauseOrResume === "resume") this.actions.resume();
  }

  private closeForm(): void {
    this.form.hidden = true;
    this.record.setAttribute("aria-expanded", "false");
  }

  private button(testid: string, onclick: () => void): HTMLButtonElement {
    return h("button", { class: "control", testid, attrs: { type: "button" }, onclick });
  }

  private set(button: HTMLButtonElement, iconName: IconName, label: string, on: boolean, disabled: boolean): void {
    button.replaceChildren(icon(iconName), h("span", { class: "control-label" }, [label]));
    button.setAttribute("aria-label", label);
    button.dataset["state"] = on ? "on" : "off";
    button.disabled = disabled;
  }
}
