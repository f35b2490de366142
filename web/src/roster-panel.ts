import type { ConnectionQuality } from "../../protocol/call-quality.ts";
import { canActOn } from "../../protocol/permissions.ts";
import type { RosterEntry } from "../../protocol/server-frames.ts";
import { h, setChildren } from "./element-builder.ts";
import { icon } from "./icons.ts";
import { isModerator, type RoomView } from "./room-view.ts";
import { notCapturedReason, notCapturedTitles, recordingControls } from "./recording-status.ts";

/**
 * The People tab: everyone admitted, with role badges, who the recording leaves out, connection quality and presence
 * icons; for hosts and cohosts a menu per participant (mute mic or camera, spotlight, make cohost, exclude from or
 * include in the recording, remove) and "mute all". Actions the room would
 * refuse (a cohost acting on the host) are not offered; the room still decides.
 */
export interface RosterActions {
  mute(target: string, track: "audio" | "video"): void;
  muteAll(track: "audio" | "video"): void;
  remove(target: string): void;
  setRole(target: string, role: "cohost" | "participant"): void;
  spotlight(target: string | null): void;
  excludeFromRecording(target: string, excluded: boolean): void;
}

/** What the signal bars say, for screen readers and as a tooltip. */
const qualityLabels: Record<ConnectionQuality, string> = {
  excellent: "Connection excellent",
  good: "Connection good",
  poor: "Connection poor",
  lost: "Connection lost",
};

/** Signal bars for a participant's connection quality, as the room rates it from their samples. */
export function qualityIndicator(quality: ConnectionQuality): HTMLSpanElement {
  const indicator = icon("signal", qualityLabels[quality]);
  indicator.classList.add("quality-indicator");
  indicator.dataset["testid"] = "connection-quality";
  indicator.dataset["quality"] = quality;
  return indicator;
}

/** "Not recorded" beside someone the running recording leaves out; why, in its tooltip and `data-reason`. */
function notCapturedBadge(view: RoomView, identity: string): HTMLSpanElement | null {
  const reason = notCapturedReason(view, identity);
  if (!reason) return null;
  const title = notCapturedTitles[reason];
  return h("span", { class: "badge not-recorded", testid: "not-recorded-badge", title, attrs: { "data-reason": reason } }, [
    "Not recorded",
  ]);
}

export class RosterPanel {
  private readonly list = h("ul", { class: "roster", testid: "roster-list" });
  private readonly toolbar = h("div", { class: "panel-toolbar" });
  private openMenu: string | null = null;
  private view: RoomView | null = null;
  readonly element = h("div", { class: "roster-panel" }, [this.toolbar, this.list]);

  constructor(private readonly actions: RosterActions) {
    document.addEventListener("click", (event) => {
      if (this.openMenu && !(event.target instanceof Element && event.target.closest(".roster-menu, .menu-toggle"))) this.toggleMenu(null);
    });
  }

  render(view: RoomView): void {
    this.view = view;
    const moderator = isModerator(view);
    setChildren(this.toolbar, [
      h("span", { class: "muted" }, [`${view.roster.length} in the meeting`]),
      moderator
        ? h(
            "button",
            {
              class: "button small secondary",
              testid: "mute-all-button",
              attrs: { type: "button" },
              onclick: () => this.actions.muteAll("audio"),
            },
            ["Mute all"],
          )
        : null,
    ]);
    setChildren(
      this.list,
      view.roster.map((entry) => this.renderEntry(view, entry, moderator)),
    );
  }

  private renderEntry(view: RoomView, entry: RosterEntry, moderator: boolean): HTMLLIElement {
    const isSelf = entry.identity === view.self?.identity;
    const actionable = moderator && !isSelf && view.self !== null && canActOn(view.self.role, entry.role);
    return h("li", { class: "roster-entry", testid: "roster-entry", attrs: { "data-identity": entry.identity, "data-role": entry.role } }, [
      h("span", { class: "roster-name" }, [`${entry.name ?? entry.identity}${isSelf ? " (you)" : ""}`]),
      entry.role === "participant" ? null : h("span", { class: `badge role-${entry.role}` }, [entry.role]),
      notCapturedBadge(view, entry.identity),
      h("span", { class: "roster-icons" }, [
        qualityIndicator(entry.connectionQuality),
        entry.handRaised ? icon("hand", "Hand raised") : null,
        entry.audioMuted ? icon("micOff", "Microphone off") : icon("mic", "Microphone on"),
        entry.videoMuted ? icon("cameraOff", "Camera off") : icon("camera", "Camera on"),
        view.spotlight === entry.identity ? icon("star", "Spotlight") : null,
      ]),
      actionable
        ? h(
            "button",
            {
              class: "icon-button menu-toggle",
              testid: "participant-menu-button",
              title: "Host actions",
              attrs: { type: "button", "aria-expanded": this.openMenu === entry.identity },
              onclick: () => this.toggleMenu(entry.identity),
            },
            [icon("more")],
          )
        : null,
      actionable && this.openMenu === entry.identity ? this.renderMenu(view, entry) : null,
    ]);
  }

  private renderMenu(view: RoomView, entry: RosterEntry): HTMLElement {
    const item = (label: string, testid: string, run: () => void, disabled = false) =>
      h(
        "button",
        {
          class: "menu-item",
          testid,
          attrs: { type: "button", role: "menuitem", disabled },
          onclick: () => {
            this.toggleMenu(null);
            run();
          },
        },
        [label],
      );
    const spotlit = view.spotlight === entry.identity;
    const excludedByHost = notCapturedReason(view, entry.identity) === "excluded_by_host";
    return h("div", { class: "roster-menu", attrs: { role: "menu" } }, [
      item("Mute microphone", "mute-audio-action", () => this.actions.mute(entry.identity, "audio"), entry.audioMuted),
      item("Turn off camera", "mute-video-action", () => this.actions.mute(entry.identity, "video"), entry.videoMuted),
      item(spotlit ? "Remove spotlight" : "Spotlight", "spotlight-action", () => this.actions.spotlight(spotlit ? null : entry.identity)),
      entry.role === "host"
        ? null
        : entry.role === "cohost"
          ? item("Make participant", "set-role-action", () => this.actions.setRole(entry.identity, "participant"))
          : item("Make cohost", "set-role-action", () => this.actions.setRole(entry.identity, "cohost")),
      recordingControls(view)?.exclude
        ? item(excludedByHost ? "Include in recording" : "Exclude from recording", "recording-exclude-action", () =>
            this.actions.excludeFromRecording(entry.identity, !excludedByHost),
          )
        : null,
      item("Remove from meeting", "remove-action", () => this.actions.remove(entry.identity)),
    ]);
  }

  private toggleMenu(identity: string | null): void {
    this.openMenu = this.openMenu === identity ? null : identity;
    if (this.view) this.render(this.view);
  }
}
