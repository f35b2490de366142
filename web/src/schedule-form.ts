import { h } from "./element-builder.ts";
import {
  defaultDurationMinutes,
  durationChoices,
  repeatChoices,
  scheduleRequestOf,
  type ScheduleField,
  type ScheduleRequest,
} from "./schedule-request.ts";
import { wallClockOf } from "./wall-clock.ts";

/**
 * The start screen's "Schedule a meeting" section: title, start (a wall-clock time in the chosen zone),
 * duration, zone, attendees and repeat. It only collects and checks the input (schedule-request.ts); main.ts
 * does the call.
 */
export interface ScheduleFormOptions {
  /** The zone the form starts in: the signed-in person's (their profile), else null for the browser's. */
  timeZone: string | null;
  onSchedule(request: ScheduleRequest): void;
}

export interface ScheduleForm {
  element: HTMLElement;
  setBusy(busy: boolean): void;
}

const zoneListId = "schedule-time-zones";

export function createScheduleForm(options: ScheduleFormOptions): ScheduleForm {
  const zone = options.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  const title = h("input", {
    testid: "schedule-title-input",
    attrs: { type: "text", maxlength: 200, placeholder: "Weekly planning" },
  });
  const start = h("input", { testid: "schedule-start-input", attrs: { type: "datetime-local", value: nextWholeHour(zone) } });
  const duration = h(
    "select",
    { testid: "schedule-duration-select" },
    durationChoices.map((minutes) =>
      h("option", { attrs: { value: minutes, selected: minutes === defaultDurationMinutes } }, [`${minutes} minutes`]),
    ),
  );
  const zoneInput = h("input", {
    testid: "schedule-zone-input",
    attrs: { type: "text", list: zoneListId, value: zone, autocomplete: "off", spellcheck: false },
  });
  const zoneList = h(
    "datalist",
    { attrs: { id: zoneListId } },
    Intl.supportedValuesOf("timeZone").map((name) => h("option", { attrs: { value: name } })),
  );
  const attendees = h("textarea", {
    testid: "schedule-attendees-input",
    attrs: { rows: 2, placeholder: "ana@example.com, Bo Chen <bo@example.com>", spellcheck: false },
  });
  const repeat = h(
    "select",
    { testid: "schedule-repeat-select" },
    repeatChoices.map((choice) => h("option", { attrs: { value: choice.rule ?? "" } }, [choice.label])),
  );
  const fields: Record<ScheduleField, HTMLInputElement | HTMLTextAreaElement> = { title, start, timeZone: zoneInput, attendees };
  for (const field of Object.values(fields)) field.addEventListener("input", () => field.setCustomValidity(""));

  const submit = () => {
    const check = scheduleRequestOf({
      title: title.value,
      start: start.value,
      durationMinutes: Number(duration.value),
      timeZone: zoneInput.value,
      attendees: attendees.value,
      recurrenceRule: repeat.value || null,
    });
    if (check.ok) return options.onSchedule(check.request);
    const field = fields[check.field];
    field.setCustomValidity(check.message);
    field.reportValidity();
    field.focus();
  };
  const button = h("button", { class: "button secondary", testid: "schedule-button", attrs: { type: "button" }, onclick: submit }, [
    "Schedule",
  ]);

  const element = h("section", { class: "form-section schedule-form" }, [
    h("h2", {}, ["Schedule a meeting"]),
    h("label", { class: "field" }, [h("span", {}, ["Title"]), title]),
    h("div", { class: "field-row" }, [
      h("label", { class: "field" }, [h("span", {}, ["Starts"]), start]),
      h("label", { class: "field" }, [h("span", {}, ["Duration"]), duration]),
    ]),
    h("label", { class: "field" }, [h("span", {}, ["Time zone"]), zoneInput, zoneList]),
    h("label", { class: "field" }, [h("span", {}, ["Attendees (emails, separated by commas or new lines)"]), attendees]),
    h("label", { class: "field" }, [h("span", {}, ["Repeat"]), repeat]),
    button,
  ]);
  // Enter here must not press the start screen's first button (join or new meeting).
  element.addEventListener("keydown", (event) => {
    if (event.key === "Enter") event.stopPropagation();
  });

  return {
    element,
    setBusy(busy) {
      button.disabled = busy;
    },
  };
}

/** The next whole hour on the zone's clock: a start the person is likely to keep or nudge. */
function nextWholeHour(zone: string): string {
  return `${wallClockOf(new Date(Date.now() + 3_600_000), zone).slice(0, 14)}00`;
}
