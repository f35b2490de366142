import { h, setChildren } from "./element-builder.ts";

/** A full-screen card over the meeting: the waiting room, or the end of the meeting for us. */
export class StatusOverlay {
  readonly element = h("div", { class: "overlay", testid: "status-overlay", attrs: { hidden: true } });

  show(options: { state: string; title: string; detail: string; action?: { label: string; run(): void } }): void {
    this.element.dataset["state"] = options.state;
    setChildren(this.element, [
      h("div", { class: "card" }, [
        options.state === "waiting" ? h("div", { class: "spinner", attrs: { "aria-hidden": "true" } }) : null,
        h("h2", {}, [options.title]),
        h("p", { class: "muted" }, [options.detail]),
        options.action
          ? h("button", { class: "button primary", testid: "overlay-action", attrs: { type: "button" }, onclick: options.action.run }, [
              options.action.label,
            ])
          : null,
      ]),
    ]);
    this.element.hidden = false;
  }

  hide(): void {
    this.element.hidden = true;
  }
}
