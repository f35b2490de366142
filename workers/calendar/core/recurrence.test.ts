import { describe, expect, it } from "vitest";
import { RecurrenceRule, recurrenceProblem } from "./recurrence.ts";

describe("recurrence rules", () => {
  it("takes the rules meetings repeat by", () => {
    for (const rule of [
      "FREQ=WEEKLY",
      "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10",
      "FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20271231T235959Z",
      "FREQ=DAILY;INTERVAL=2",
      "FREQ=MONTHLY;BYMONTHDAY=15;WKST=MO",
    ]) {
      expect(recurrenceProblem(rule), rule).toBeNull();
    }
    expect(RecurrenceRule.parse(" freq=weekly;count=3 ")).toBe("FREQ=WEEKLY;COUNT=3");
  });

  it("refuses anything else, saying why", () => {
    expect(recurrenceProblem("COUNT=3")).toMatch(/FREQ is required/);
    expect(recurrenceProblem("FREQ=HOURLY")).toMatch(/FREQ=HOURLY/);
    expect(recurrenceProblem("FREQ=WEEKLY;COUNT=3;UNTIL=20271231T000000Z")).toMatch(/both/);
    expect(recurrenceProblem("FREQ=WEEKLY;FREQ=DAILY")).toMatch(/twice/);
    expect(recurrenceProblem("FREQ=WEEKLY;BYDAY=XX")).toMatch(/BYDAY/);
    expect(recurrenceProblem("FREQ=WEEKLY\r\nATTENDEE:mailto:x@evil.test")).not.toBeNull();
    expect(recurrenceProblem("FREQ=WEEKLY;X-FOO=1")).toMatch(/not a supported/);
    expect(recurrenceProblem("FREQ=WEEKLY;COUNT=100000")).toMatch(/COUNT/);
  });
});
