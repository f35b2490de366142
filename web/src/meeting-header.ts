import { h } from "./element-builder.ts";
import { icon } from "./icons.ts";
import type { ConnectionStatus } from "./room-connection.ts";
import { showToast } from "./toasts.ts";

/** Title, the shareable join link with a copy button, and the connection status. */
export class MeetingHeader {
  private readonly title = h("h1", { class: "meeting-title", testid: "meeting-title" });
  private readonly link = h("input", { class: "join-link", testid: "join-link", attrs: { readonly: true, "aria-label": "Join link" } });
  private readonly status = h("span", { class: "status-pill", testid: "connection-status" });
  private readonly lock = h("span", { class: "locked-pill", title: "Meeting locked" }, [icon("lock"), "Locked"]);
  readonly element: HTMLElement;

  constructor(title: string, joinLink: string) {
    this.title.textContent = title;
    this.link.value = joinLink;
    this.link.addEventListener("focus", () => this.link.select());
    const copy = h(
      "button",
      {
        class: "button small secondary",
        testid: "copy-link-button",
        title: "Copy join link",
        attrs: { type: "button" },
        onclick: () => void this.copy(),
      },
      [icon("copy"), "Copy link"],
    );
    this.element = h("header", { class: "meeting-header" }, [
      h("div", { class: "title-row" }, [this.title, this.lock, this.status]),
      h("div", { class: "link-row" }, [this.link, copy]),
    ]);
    this.lock.hidden = true;
  }

  setTitle(title: string): void {
    this.title.textContent = title;
    document.title = `${title} · Edge Meetings`;
  }

  setLocked(locked: boolean): void {
    this.lock.hidden = !locked;
  }

  setStatus(status: ConnectionStatus | { kind: "waiting" }): void {
    const labels = {
      connecting: "Connecting…",
      open: "Connected",
      reconnecting: "Reconnecting…",
      closed: "Disconnected",
      waiting: "In the waiting room",
    };
    this.status.textContent = labels[status.kind];
    this.status.dataset["state"] = status.kind;
  }

  private async copy(): Promise<void> {
    try {
      await navigator.clipboard.writeText(this.link.value);
      showToast("Join link copied");
    } catch {
      // Clipboard access needs a secure context and permission; selecting lets the user copy by hand.
      this.link.focus();
      showToast("Press Ctrl+C to copy the selected link");
    }
  }
}
