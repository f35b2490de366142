import crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import { ScriptRegistry } from "./script-registry.ts";

const flagged = "#!lua flags=allow-key-locking\nreturn KEYS[1]";
const stripped = "#!lua\nreturn KEYS[1]";
const sha1 = (text: string) => crypto.createHash("sha1").update(text).digest("hex");

describe("ScriptRegistry", () => {
  it("sends EVAL with the stripped script, after which EVALSHA of the original hash becomes that EVAL", () => {
    const registry = new ScriptRegistry();
    expect(registry.rewrite(["EVALSHA", sha1(flagged), "1", "k"]).command).toEqual(["EVALSHA", sha1(flagged), "1", "k"]);
    expect(registry.rewrite(["EVAL", flagged, "1", "k"]).command).toEqual(["EVAL", stripped, "1", "k"]);
    expect(registry.rewrite(["evalsha", sha1(flagged).toUpperCase(), "1", "k", "a"]).command).toEqual(["eval", stripped, "1", "k", "a"]);
    expect(registry.rewrite(["EVALSHA_RO", sha1(flagged), "0"]).command).toEqual(["eval_ro", stripped, "0"]);
  });

  it("answers SCRIPT LOAD with the hash of the script the client sent", () => {
    const registry = new ScriptRegistry();
    const rewritten = registry.rewrite(["SCRIPT", "LOAD", flagged]);
    expect(rewritten.command).toEqual(["SCRIPT", "LOAD", stripped]);
    expect(rewritten.reply?.(Buffer.from(sha1(stripped)))).toBe(sha1(flagged));
    expect(registry.rewrite(["EVALSHA", sha1(flagged), "0"]).command).toEqual(["eval", stripped, "0"]);
  });

  it("translates known hashes in SCRIPT EXISTS", () => {
    const registry = new ScriptRegistry();
    registry.rewrite(["SCRIPT", "LOAD", flagged]);
    expect(registry.rewrite(["SCRIPT", "EXISTS", sha1(flagged), "abc"]).command).toEqual(["SCRIPT", "EXISTS", sha1(stripped), "abc"]);
  });

  it("forgets everything on SCRIPT FLUSH, so clients see NOSCRIPT as they would from Redis", () => {
    const registry = new ScriptRegistry();
    registry.rewrite(["EVAL", flagged, "0"]);
    registry.rewrite(["SCRIPT", "FLUSH"]);
    expect(registry.rewrite(["EVALSHA", sha1(flagged), "0"]).command).toEqual(["EVALSHA", sha1(flagged), "0"]);
  });

  it("passes unflagged scripts and other commands through untouched", () => {
    const registry = new ScriptRegistry();
    for (const command of [["EVAL", "return 1", "0"], ["SCRIPT", "LOAD", "return 1"], ["GET", "k"], ["EVAL"]] as const) {
      const rewritten = registry.rewrite([...command]);
      expect(rewritten.command).toEqual(command);
      expect(rewritten.reply).toBeUndefined();
    }
  });

  it("stays bounded: the oldest of many scripts is forgotten", () => {
    const registry = new ScriptRegistry();
    const script = (i: number) => `#!lua flags=allow-key-locking\nreturn ${i}`;
    for (let i = 0; i < 1100; i++) registry.rewrite(["EVAL", script(i), "0"]);
    expect(registry.rewrite(["EVALSHA", sha1(script(0)), "0"]).command[0]).toBe("EVALSHA");
    expect(registry.rewrite(["EVALSHA", sha1(script(1099)), "0"]).command[0]).toBe("eval");
  });
});
