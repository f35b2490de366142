import type { Meeting } from "./api-client.ts";
import { h } from "./element-builder.ts";
import { saveBlob } from "./save-blob.ts";
import { scheduleSummary } from "./schedule-summary.ts";

/**
 * What the start screen becomes once a meeting is scheduled: when it is (on its zone's clock), its calendar
 * invite to download, the link to share, and "Join now" for its host. main.ts does the calls.
 */
export interface ScheduledPanelOptions {
  meeting: Meeting;
  joinLink: string;
  /** How to write the start: the signed-in person's locale, else the browser's. */
  locale: string | undefined;
  fetchInvite(): Promise<Blob>;
  onJoinNow(): void;
  /** Back to the start screen (which then offers to join this meeting). */
  onDone(): void;
  onError(error: unknown): void;
}

export interface ScheduledPanel {
  element: HTMLElement;
  setBusy(busy: boolean): void;
}

export function createScheduledPanel(options: ScheduledPanelOptions): ScheduledPanel {
  const { meeting } = options;
  const link = h("input", {
    class: "join-link",
    testid: "scheduled-join-link",
    attrs: { readonly: true, "aria-label": "Join link", value: options.joinLink },
  });
  link.addEventListener("focus", () => link.select());

  const download = h(
    "button",
    {
      class: "button secondary",
      testid: "download-invite-button",
      attrs: { type: "button" },
      onclick: () => {
        download.disabled = true;
        options
          .fetchInvite()
          .then((invite) => saveBlob(invite, `meeting-${meeting.id}.ics`))
          .catch(options.onError)
          .finally(() => {
            download.disabled = false;
          });
      },
    },
    ["Download invite (.ics)"],
  );
  const joinNow = h(
    "button",
    { class: "button primary", testid: "join-now-button", attrs: { type: "button" }, onclick: () => options.onJoinNow() },
    ["Join now"],
  );
  const done = h(
    "button",
    { class: "link-button", testid: "scheduled-done-button", attrs: { type: "button" }, onclick: () => options.onDone() },
    ["Back to the start screen"],
  );

  const element = h("main", { class: "landing" }, [
    h("div", { class: "card scheduled-panel", testid: "scheduled-panel" }, [
      h("p", { class: "muted" }, ["Meeting scheduled"]),
      h("h1", { testid: "scheduled-title" }, [meeting.title]),
      h("p", { class: "scheduled-when", testid: "scheduled-start" }, [scheduleSummary(meeting, options.locale) ?? ""]),
      h("label", { class: "field" }, [h("span", {}, ["Join link"]), link]),
      h("div", { class: "scheduled-actions" }, [download, joinNow]),
      done,
    ]),
  ]);

  return {
    element,
    setBusy(busy) {
      joinNow.disabled = busy;
      download.disabled = busy;
    },
  };
}
