import { h } from "./element-builder.ts";

/** Tabs beside the video grid: Chat, People and (for hosts) Lobby, each with an optional count badge. */
export type TabName = "chat" | "people" | "lobby";

export class SidePanel {
  private readonly tabs = new Map<TabName, { button: HTMLButtonElement; badge: HTMLElement; body: HTMLElement }>();
  private active: TabName = "chat";
  readonly element: HTMLElement;

  constructor(bodies: Record<TabName, HTMLElement>) {
    const labels: Record<TabName, string> = { chat: "Chat", people: "People", lobby: "Lobby" };
    const tabList = h("div", { class: "tabs", attrs: { role: "tablist" } });
    const panels = h("div", { class: "tab-bodies" });
    for (const name of Object.keys(labels) as TabName[]) {
      const badge = h("span", { class: "tab-badge" });
      const button = h(
        "button",
        { class: "tab", testid: `tab-${name}`, attrs: { type: "button", role: "tab" }, onclick: () => this.select(name) },
        [labels[name], badge],
      );
      const body = h("div", { class: "tab-body", attrs: { role: "tabpanel" } }, [bodies[name]]);
      tabList.append(button);
      panels.append(body);
      this.tabs.set(name, { button, badge, body });
    }
    this.element = h("aside", { class: "side-panel", testid: "side-panel" }, [tabList, panels]);
    this.select("chat");
  }

  select(name: TabName): void {
    this.active = name;
    for (const [tab, parts] of this.tabs) {
      parts.button.setAttribute("aria-selected", String(tab === name));
      parts.body.hidden = tab !== name;
    }
  }

  setBadge(name: TabName, count: number): void {
    const badge = this.tabs.get(name)?.badge;
    if (badge) badge.textContent = count > 0 ? String(count) : "";
  }

  setVisible(name: TabName, visible: boolean): void {
    const parts = this.tabs.get(name);
    if (!parts) return;
    parts.button.hidden = !visible;
    if (!visible && this.active === name) this.select("chat");
  }
}
