import { h } from "./element-builder.ts";

/**
 * The start screen: API key (demo harness only, not when signed in), display name, "join this meeting" (when
 * the address names one), "new meeting" and, when given, the schedule form. It only collects input; main.ts
 * does the calls.
 */
export interface JoinFormOptions {
  apiKey: string;
  displayName: string;
  /** The meeting from `#meeting=<id>`, if any. */
  meetingId: string | null;
  /** Who is signed in, or how to sign in (sign-in-panel.ts); none without a tenant to sign in with. */
  signIn?: HTMLElement | null;
  /** False when signed in: the page calls the API with the session, so it asks for no key. */
  needsApiKey: boolean;
  /** The schedule form (schedule-form.ts), under "new meeting". */
  schedule?: HTMLElement | null;
  onCreate(input: { apiKey: string; displayName: string; title: string; waitingRoom: boolean }): void;
  onJoin(input: { apiKey: string; displayName: string; meetingId: string }): void;
}

export interface JoinForm {
  element: HTMLElement;
  setBusy(busy: boolean): void;
  /** The key and name, or null after focusing the first one missing. */
  read(): { apiKey: string; displayName: string } | null;
}

export function createJoinForm(options: JoinFormOptions): JoinForm {
  const keyInput = h("input", {
    testid: "api-key-input",
    attrs: { type: "password", placeholder: "emk_…", autocomplete: "off", spellcheck: false, value: options.apiKey },
  });
  const nameInput = h("input", {
    testid: "name-input",
    attrs: { type: "text", placeholder: "Ada Lovelace", maxlength: 128, autocomplete: "name", value: options.displayName },
  });
  const titleInput = h("input", { testid: "meeting-title-input", attrs: { type: "text", maxlength: 200, value: "Quick sync" } });
  const waitingRoom = h("input", { testid: "waiting-room-checkbox", attrs: { type: "checkbox" } });
  const buttons: HTMLButtonElement[] = [];

  const read = (): { apiKey: string; displayName: string } | null => {
    const apiKey = keyInput.value.trim();
    const displayName = nameInput.value.trim();
    const keyMissing = options.needsApiKey && !apiKey;
    if (keyMissing) keyInput.focus();
    else if (!displayName) nameInput.focus();
    return !keyMissing && displayName ? { apiKey, displayName } : null;
  };

  const joinSection = options.meetingId
    ? h("section", { class: "form-section" }, [
        h("h2", {}, ["Join meeting"]),
        h("p", { class: "muted mono" }, [options.meetingId]),
        button("Join", "join-button", "primary", () => {
          const input = read();
          if (input && options.meetingId) options.onJoin({ ...input, meetingId: options.meetingId });
        }),
      ])
    : null;

  const createSection = h("section", { class: "form-section" }, [
    h("h2", {}, [options.meetingId ? "Or start a new meeting" : "New meeting"]),
    h("label", { class: "field" }, [h("span", {}, ["Title"]), titleInput]),
    h("label", { class: "check" }, [waitingRoom, h("span", {}, ["Waiting room: the host admits each participant"])]),
    button("New meeting", "new-meeting-button", options.meetingId ? "secondary" : "primary", () => {
      const input = read();
      const title = titleInput.value.trim();
      if (!title) titleInput.focus();
      else if (input) options.onCreate({ ...input, title, waitingRoom: waitingRoom.checked });
    }),
  ]);

  function button(label: string, testid: string, style: string, onclick: () => void): HTMLButtonElement {
    const element = h("button", { class: `button ${style}`, testid, attrs: { type: "button" }, onclick }, [label]);
    buttons.push(element);
    return element;
  }

  const demoNote = h("details", { class: "demo-note", attrs: { open: !options.apiKey } }, [
    h("summary", {}, ["Demo harness: tenant API key"]),
    h("p", {}, [
      "This page stands in for a tenant's app. A real tenant's server keeps its API key and hands browsers only short-lived join tokens; " +
        "for local demos the page holds the key itself, kept in this browser's localStorage. Paste it here or open the page with ",
      h("code", {}, ["#key=emk_…"]),
      " (printed by ",
      h("code", {}, ["npm run dev"]),
      "; the fragment never reaches the server).",
    ]),
    h("label", { class: "field" }, [h("span", {}, ["API key"]), keyInput]),
  ]);

  const element = h("main", { class: "landing" }, [
    h("div", { class: "card" }, [
      h("h1", {}, ["Edge Meetings"]),
      h("p", { class: "muted" }, ["Video meetings: peer to peer while small, on our media servers (SFU) once a meeting grows."]),
      options.signIn ?? null,
      h("label", { class: "field" }, [h("span", {}, ["Your name"]), nameInput]),
      joinSection,
      createSection,
      options.schedule ?? null,
      options.needsApiKey ? demoNote : null,
    ]),
  ]);
  element.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target instanceof HTMLInputElement && event.target.type !== "checkbox") buttons[0]?.click();
  });

  return {
    element,
    read,
    setBusy(busy) {
      for (const item of buttons) item.disabled = busy;
    },
  };
}
