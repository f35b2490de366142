import { describe, expect, it } from "vitest";
import { withoutUnknownFlags } from "./script-flags.ts";

describe("withoutUnknownFlags", () => {
  it("drops Upstash's allow-key-locking flag but keeps the shebang and the line count", () => {
    expect(withoutUnknownFlags("#!lua flags=allow-key-locking\n  return 1\n")).toBe("#!lua\n  return 1\n");
  });

  it("keeps the flags Redis 7 knows", () => {
    expect(withoutUnknownFlags("#!lua flags=no-writes,allow-key-locking,allow-oom\nreturn 1")).toBe(
      "#!lua flags=no-writes,allow-oom\nreturn 1",
    );
  });

  it("returns the very same string when nothing needs stripping", () => {
    for (const script of ["return 1", "#!lua\nreturn 1", "#!lua flags=no-writes\nreturn 1", "-- #!lua flags=x\n"]) {
      expect(withoutUnknownFlags(script)).toBe(script);
    }
  });

  it("copes with CRLF line ends and a script that is only a shebang", () => {
    expect(withoutUnknownFlags("#!lua flags=allow-key-locking\r\nreturn 1")).toBe("#!lua\nreturn 1");
    expect(withoutUnknownFlags("#!lua flags=allow-key-locking")).toBe("#!lua");
  });
});
