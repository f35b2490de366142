import { describe, expect, it } from "vitest";
import { TurnCredentialsError } from "./errors.ts";
import { isIceServerUrl, parseTurnUrls } from "./turn-urls.ts";

describe("parseTurnUrls", () => {
  it("splits the local TURN_URLS binding into its entries", () => {
    expect(parseTurnUrls("turn:127.0.0.1:3478?transport=udp,turn:127.0.0.1:3478?transport=tcp")).toEqual([
      "turn:127.0.0.1:3478?transport=udp",
      "turn:127.0.0.1:3478?transport=tcp",
    ]);
  });

  it("tolerates whitespace and a trailing comma", () => {
    expect(parseTurnUrls(" turns:turn.example.com:5349?transport=tcp , stun:stun.example.com ,")).toEqual([
      "turns:turn.example.com:5349?transport=tcp",
      "stun:stun.example.com",
    ]);
  });

  it.each([undefined, "", " , "])("rejects a missing or empty binding (%j)", (value) => {
    expect(() => parseTurnUrls(value)).toThrow(TurnCredentialsError);
  });

  it("rejects the whole list when one entry is malformed", () => {
    expect(() => parseTurnUrls("turn:127.0.0.1:3478,http://127.0.0.1:3478")).toThrow(/not a STUN\/TURN URL/);
  });
});

describe("isIceServerUrl", () => {
  it.each([
    "turn:127.0.0.1",
    "turn:127.0.0.1:3478",
    "turn:[::1]:3478?transport=udp",
    "turns:turn.example.com:443?transport=tcp",
    "stun:stun.example.com:19302",
    "stuns:stun.example.com",
  ])("accepts %s", (url) => {
    expect(isIceServerUrl(url)).toBe(true);
  });

  it.each([
    "turn:",
    "turn://127.0.0.1:3478",
    "turn:127.0.0.1:0",
    "turn:127.0.0.1:65536",
    "turn:127.0.0.1:3478?transport=sctp",
    "stun:stun.example.com?transport=udp",
    "turn:user@127.0.0.1",
    "TURN_URLS",
  ])("rejects %s", (url) => {
    expect(isIceServerUrl(url)).toBe(false);
  });
});
