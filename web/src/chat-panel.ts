import type { ChatMessage } from "../../protocol/server-frames.ts";
import { h, setChildren } from "./element-builder.ts";
import { nameOf, type RoomView } from "./room-view.ts";

/**
 * The chat tab: messages in `seq` order (the room echoes our own, so nothing is shown twice), a box to send,
 * and "earlier messages" through `chat_history`. Stays scrolled to the bottom unless the reader scrolled up.
 */
export interface ChatPanelOptions {
  /** Returns false when the message could not be sent (not connected). */
  send(body: string): boolean;
  loadEarlier(beforeSeq: number): void;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

export class ChatPanel {
  private readonly list = h("ol", { class: "chat-messages", testid: "chat-messages", attrs: { "aria-live": "polite" } });
  private readonly earlier = h("button", { class: "link-button", testid: "chat-earlier", attrs: { type: "button" } }, ["Earlier messages"]);
  private readonly input = h("textarea", {
    class: "chat-input",
    testid: "chat-input",
    attrs: { rows: 2, maxlength: 8000, placeholder: "Message everyone" },
  });
  private rendered: readonly ChatMessage[] | null = null;
  readonly element: HTMLElement;

  constructor(private readonly options: ChatPanelOptions) {
    const sendButton = h("button", { class: "button primary", testid: "chat-send", attrs: { type: "submit" } }, ["Send"]);
    const form = h("form", { class: "chat-form" }, [this.input, sendButton]);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        this.submit();
      }
    });
    this.element = h("div", { class: "chat-panel" }, [this.earlier, this.list, form]);
  }

  render(view: RoomView): void {
    this.earlier.hidden = !view.chatHasMore || view.chat.length === 0;
    this.earlier.onclick = () => {
      const first = view.chat[0];
      if (first) this.options.loadEarlier(first.seq);
    };
    if (view.chat === this.rendered) return;
    this.rendered = view.chat;
    const atBottom = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 40;
    setChildren(
      this.list,
      view.chat.map((message) => renderMessage(view, message)),
    );
    if (atBottom) this.list.scrollTop = this.list.scrollHeight;
  }

  private submit(): void {
    const body = this.input.value.trim();
    if (!body) return;
    if (this.options.send(body)) this.input.value = "";
  }
}

function renderMessage(view: RoomView, message: ChatMessage): HTMLLIElement {
  const own = message.sender === view.self?.identity;
  return h(
    "li",
    {
      class: `chat-message${own ? " own" : ""}`,
      testid: "chat-message",
      attrs: { "data-seq": message.seq, "data-sender": message.sender },
    },
    [
      h("div", { class: "chat-meta" }, [
        h("strong", {}, [own ? "You" : nameOf(view, message.sender)]),
        h("time", { attrs: { datetime: message.sentAt } }, [timeFormat.format(new Date(message.sentAt))]),
        message.editedAt && !message.deleted ? h("span", { class: "muted" }, ["edited"]) : null,
      ]),
      message.deleted ? h("p", { class: "chat-body muted" }, ["Message deleted"]) : h("p", { class: "chat-body" }, [message.body]),
    ],
  );
}
