import { h, setChildren } from "./element-builder.ts";
import type { RoomView } from "./room-view.ts";

/** The Lobby tab (hosts and cohosts): people waiting to be let in, oldest first, with Admit / Deny. */
export interface LobbyActions {
  admit(target: string): void;
  deny(target: string): void;
}

export class LobbyPanel {
  private readonly list = h("ul", { class: "lobby", testid: "lobby-list" });
  private readonly empty = h("p", { class: "muted empty" }, ["Nobody is waiting."]);
  readonly element = h("div", { class: "lobby-panel" }, [this.empty, this.list]);

  constructor(private readonly actions: LobbyActions) {}

  render(view: RoomView): void {
    this.empty.hidden = view.lobby.length > 0;
    setChildren(
      this.list,
      view.lobby.map((entry) =>
        h("li", { class: "lobby-entry", testid: "lobby-entry", attrs: { "data-identity": entry.identity } }, [
          h("span", { class: "roster-name" }, [entry.name ?? entry.identity]),
          h("span", { class: "muted" }, [`waiting since ${new Date(entry.waitingSince).toLocaleTimeString()}`]),
          h("span", { class: "lobby-actions" }, [
            h(
              "button",
              {
                class: "button small primary",
                testid: "admit-button",
                attrs: { type: "button", "data-identity": entry.identity },
                onclick: () => this.actions.admit(entry.identity),
              },
              ["Admit"],
            ),
            h(
              "button",
              {
                class: "button small secondary",
                testid: "deny-button",
                attrs: { type: "button", "data-identity": entry.identity },
                onclick: () => this.actions.deny(entry.identity),
              },
              ["Deny"],
            ),
          ]),
        ]),
      ),
    );
  }
}
