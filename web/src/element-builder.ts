/**
 * `h("button", { class: "primary", testid: "join-button", onclick }, ["Join"])`: the page's only DOM helper.
 * Text always goes through text nodes, so names and chat bodies from other participants are never parsed as HTML.
 */
type Child = Node | string | null | undefined | false;
type Handlers = { [K in keyof HTMLElementEventMap as `on${K}`]?: (event: HTMLElementEventMap[K]) => void };

export interface ElementProps extends Handlers {
  class?: string;
  testid?: string;
  title?: string;
  attrs?: Record<string, string | number | boolean | undefined>;
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: ElementProps = {},
  children: Child[] = [],
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (props.class) element.className = props.class;
  if (props.testid) element.dataset["testid"] = props.testid;
  if (props.title) element.title = props.title;
  for (const [name, value] of Object.entries(props.attrs ?? {})) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const [key, value] of Object.entries(props)) {
    if (key.startsWith("on") && typeof value === "function") element.addEventListener(key.slice(2), value as EventListener);
  }
  for (const child of children) if (child) element.append(child);
  return element;
}

/** Replaces an element's children in one go. */
export function setChildren(parent: Element, children: Child[]): void {
  parent.replaceChildren(...children.filter((child): child is Node | string => Boolean(child)));
}
