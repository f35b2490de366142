import { h, setChildren } from "./element-builder.ts";
import type { RoomView } from "./room-view.ts";
import { recordingStatus } from "./recording-status.ts";

/**
 * The recording indicator: a red dot and what the recording is doing, who started it, whether I am in it, and a
 * button to change my answer. Rendered from the room view on every render and shown exactly when a recording runs
 * (`recordingStatus` is not null), so the meeting screen can't show a running recording without it.
 */
export interface RecordingBannerActions {
  answerConsent(accept: boolean): void;
}

export class RecordingBanner {
  readonly element = h("section", {
    class: "recording-banner",
    testid: "recording-indicator",
    attrs: { role: "status", "aria-live": "polite", hidden: true },
  });

  constructor(private readonly actions: RecordingBannerActions) {}

  render(view: RoomView): void {
    const status = recordingStatus(view);
    this.element.hidden = status === null;
    if (!status) {
      delete this.element.dataset["phase"];
      this.element.replaceChildren();
      return;
    }
    this.element.dataset["phase"] = status.phase;
    this.element.dataset["selfCaptured"] = String(status.selfNotCaptured === null);
    setChildren(this.element, [
      h("span", { class: "recording-dot", attrs: { "aria-hidden": "true" } }),
      h("strong", { class: "recording-label", testid: "recording-label" }, [status.label]),
      h("span", { class: "muted", testid: "recording-started-by" }, [status.startedBy]),
      status.selfNote ? h("span", { class: "recording-self", testid: "recording-self-note" }, [status.selfNote]) : null,
      status.mediaNote ? h("span", { class: "muted recording-media", testid: "recording-media-note" }, [status.mediaNote]) : null,
      status.continuityNote ? h("span", { class: "recording-self", testid: "recording-continuity-note" }, [status.continuityNote]) : null,
      status.changeAnswer
        ? h(
            "button",
            {
              class: "button small secondary",
              testid: "recording-change-answer",
              attrs: { type: "button" },
              onclick: () => this.actions.answerConsent(status.changeAnswer?.accept ?? false),
            },
            [status.changeAnswer.label],
          )
        : null,
    ]);
  }
}
