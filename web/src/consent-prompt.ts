import { h } from "./element-builder.ts";
import type { RoomView } from "./room-view.ts";
import { recordingStatus } from "./recording-status.ts";

/**
 * "This meeting is being recorded: may we record you?" Shown while the recording asks for consent and I have not
 * answered (the room lists me `pending` and captures nothing of me until I accept); my answer goes to the room,
 * and the indicator lets me change it later.
 */
export interface ConsentPromptActions {
  answerConsent(accept: boolean): void;
}

export class ConsentPrompt {
  private readonly detail = h("p", { class: "muted" });
  readonly element: HTMLElement;

  constructor(actions: ConsentPromptActions) {
    const button = (label: string, testid: string, accept: boolean, style: string) =>
      h("button", { class: `button ${style}`, testid, attrs: { type: "button" }, onclick: () => actions.answerConsent(accept) }, [label]);
    this.element = h(
      "div",
      {
        class: "consent-prompt card",
        testid: "consent-prompt",
        attrs: { role: "alertdialog", "aria-labelledby": "consent-title", "aria-modal": "false", hidden: true },
      },
      [
        h("h2", { attrs: { id: "consent-title" } }, ["This meeting is being recorded"]),
        this.detail,
        h("p", { class: "muted" }, ["Nothing of you is recorded unless you accept. You can change your answer later."]),
        h("div", { class: "consent-actions" }, [
          button("Decline", "consent-decline", false, "secondary"),
          button("Accept", "consent-accept", true, "primary"),
        ]),
      ],
    );
  }

  render(view: RoomView): void {
    const status = recordingStatus(view);
    this.element.hidden = !status?.consentPrompt;
    if (status) this.detail.textContent = `${status.startedBy}. May your camera, microphone and screen be recorded?`;
  }
}
