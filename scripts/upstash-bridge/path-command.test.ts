import { describe, expect, it } from "vitest";
import { commandFromPath } from "./path-command.ts";

describe("commandFromPath", () => {
  it("reads one URL-decoded argument per segment", () => {
    expect(commandFromPath("/set/user%3A1/h%C3%A9llo%2Fworld/EX/60")).toEqual({
      ok: true,
      value: ["set", "user:1", "héllo/world", "EX", "60"],
    });
  });

  it("appends a POST body as the last argument", () => {
    expect(commandFromPath("/set/k", '{"a":1}')).toEqual({ ok: true, value: ["set", "k", '{"a":1}'] });
  });

  it("rejects an empty path and malformed escapes", () => {
    expect(commandFromPath("/").ok).toBe(false);
    expect(commandFromPath("/get/%E0%A4%A").ok).toBe(false);
  });
});
