import { h, setChildren } from "./element-builder.ts";
import type { ReadyRecording, RoomView } from "./room-view.ts";

/**
 * For hosts: recordings of this meeting that finished while they were in it ("Recording ready — Play"), from
 * `recording_ready` frames. Each link is signed and short-lived; an expired one is labelled, not offered.
 */
export interface ReadyRecordingsActions {
  play(recording: ReadyRecording): void;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

export class ReadyRecordings {
  readonly element = h("ul", { class: "ready-recordings", testid: "ready-recordings", attrs: { hidden: true } });
  private rendered: readonly ReadyRecording[] | null = null;

  constructor(private readonly actions: ReadyRecordingsActions) {}

  render(view: RoomView): void {
    if (view.readyRecordings === this.rendered) return;
    this.rendered = view.readyRecordings;
    this.element.hidden = view.readyRecordings.length === 0;
    setChildren(
      this.element,
      view.readyRecordings.map((recording) => this.renderEntry(recording)),
    );
  }

  private renderEntry(recording: ReadyRecording): HTMLLIElement {
    const expired = Date.parse(recording.expiresAt) <= Date.now();
    return h("li", { class: "ready-recording", testid: "ready-recording", attrs: { "data-recording-id": recording.recordingId } }, [
      h("span", {}, ["Recording ready"]),
      expired
        ? h("span", { class: "muted" }, ["link expired"])
        : h(
            "button",
            {
              class: "button small primary",
              testid: "play-recording",
              title: `Link valid until ${timeFormat.format(new Date(recording.expiresAt))}`,
              attrs: { type: "button" },
              onclick: () => this.actions.play(recording),
            },
            ["Play"],
          ),
    ]);
  }
}
