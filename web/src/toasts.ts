import { h } from "./element-builder.ts";

/** Transient notices in a corner; errors from the room show their stable `code`. */
const visibleMs = 6000;

export function showToast(message: string, options: { code?: string; kind?: "error" | "info" } = {}): void {
  const region = document.querySelector("#toasts") ?? document.body;
  const kind = options.kind ?? (options.code ? "error" : "info");
  const toast = h(
    "div",
    { class: `toast toast-${kind}`, testid: "toast", attrs: { role: kind === "error" ? "alert" : "status", "data-code": options.code } },
    [options.code ? h("code", { class: "toast-code" }, [options.code]) : null, h("span", {}, [message])],
  );
  region.append(toast);
  setTimeout(() => {
    toast.classList.add("leaving");
    setTimeout(() => toast.remove(), 300);
  }, visibleMs);
}
