import { describe, expect, it } from "vitest";
import { parseCommand, parseCommandList, parseJson } from "./request-validation.ts";

describe("parseCommand", () => {
  it("turns number and boolean arguments into the strings Redis receives", () => {
    expect(parseCommand(["SET", "k", 1.5, true, -3])).toEqual({ ok: true, value: ["SET", "k", "1.5", "true", "-3"] });
  });

  it.each([[[]], [{}], ["GET k"], [[1, "k"]], [[""]], [["SET", "k", null]], [["SET", "k", { a: 1 }]], [["SET", ["k"]]], [null]])(
    "rejects %j",
    (value) => {
      expect(parseCommand(value)).toEqual({ ok: false, error: expect.stringMatching(/^ERR invalid command/) });
    },
  );
});

describe("parseCommandList", () => {
  it("accepts a list of commands in order", () => {
    expect(parseCommandList([["PING"], ["GET", "k"]])).toEqual({ ok: true, value: [["PING"], ["GET", "k"]] });
  });

  it("names the first bad entry", () => {
    expect(parseCommandList([["PING"], ["GET", "k"], "PING"])).toEqual({
      ok: false,
      error: expect.stringContaining("index 2"),
    });
  });

  it.each([[[]], [{}], ["PING"], [null]])("rejects %j as a pipeline", (value) => {
    expect(parseCommandList(value).ok).toBe(false);
  });
});

describe("parseJson", () => {
  it("reports malformed JSON instead of throwing", () => {
    expect(parseJson('["GET"')).toEqual({ ok: false, error: "ERR request body is not valid JSON" });
    expect(parseJson("")).toEqual({ ok: false, error: "ERR request body is not valid JSON" });
    expect(parseJson('["GET","k"]')).toEqual({ ok: true, value: ["GET", "k"] });
  });
});
