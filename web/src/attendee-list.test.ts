import { describe, expect, it } from "vitest";
import { parseAttendees } from "./attendee-list.ts";

describe("the attendees box", () => {
  it("takes commas, semicolons and new lines, quoted names, and reports what is not an address", () => {
    expect(parseAttendees('"Lima, Ana" <ana@example.com>; bo@example.com\n\n@nowhere, carl@, Dee <dee>')).toEqual({
      attendees: [{ email: "ana@example.com", name: "Lima, Ana" }, { email: "bo@example.com" }],
      invalid: ["@nowhere", "carl@", "Dee <dee>"],
    });
    expect(parseAttendees("Ana <ana@example.com>")).toEqual({ attendees: [{ email: "ana@example.com", name: "Ana" }], invalid: [] });
  });
});
