import { describe, expect, it } from "vitest";
import { decideTunnel, formatHostPort, parseAllowlist, parseHostPort } from "./tunnel-request.ts";

const allow = [{ host: "127.0.0.1", port: 54329 }];
const fromDriver = (url: string) => ({ url, origin: undefined });

describe("parseHostPort", () => {
  it("reads IPv4, names and both IPv6 spellings", () => {
    expect(parseHostPort("127.0.0.1:54329")).toEqual({ host: "127.0.0.1", port: 54329 });
    expect(parseHostPort("DB.Example.com:5432")).toEqual({ host: "db.example.com", port: 5432 });
    expect(parseHostPort("[::1]:5432")).toEqual({ host: "::1", port: 5432 });
    // The Neon driver writes `${host}:${port}` without brackets.
    expect(parseHostPort("::1:5432")).toEqual({ host: "::1", port: 5432 });
  });

  it.each([
    "",
    "127.0.0.1",
    ":5432",
    "127.0.0.1:",
    "127.0.0.1:0",
    "127.0.0.1:65536",
    "127.0.0.1:+80",
    "127.0.0.1:5432 ",
    "127.0.0.1:54329/x",
    "host name:5432",
    "evil.com@127.0.0.1:5432",
    "[not-v6]:5432",
    "-leading-dash.com:5432",
    `${"a".repeat(300)}:5432`,
  ])("rejects %j", (text) => {
    expect(parseHostPort(text)).toBeUndefined();
  });

  it("formats IPv6 with brackets so the result parses back", () => {
    expect(formatHostPort({ host: "::1", port: 5432 })).toBe("[::1]:5432");
    expect(parseHostPort(formatHostPort({ host: "::1", port: 5432 }))).toEqual({ host: "::1", port: 5432 });
  });
});

describe("parseAllowlist", () => {
  it("reads a comma-separated list", () => {
    expect(parseAllowlist(" 127.0.0.1:54329, [::1]:54329 ")).toEqual([
      { host: "127.0.0.1", port: 54329 },
      { host: "::1", port: 54329 },
    ]);
  });

  it("refuses to start on a typo or an empty list instead of allowing something else", () => {
    expect(() => parseAllowlist("127.0.0.1")).toThrow(/bad allowlist entry/);
    expect(() => parseAllowlist(" , ")).toThrow(/empty/);
  });
});

describe("decideTunnel", () => {
  it("opens a tunnel to an allowed target, whatever the path", () => {
    expect(decideTunnel(fromDriver("/v2?address=127.0.0.1:54329"), allow)).toEqual({
      ok: true,
      target: { host: "127.0.0.1", port: 54329 },
    });
    expect(decideTunnel(fromDriver("/?address=127.0.0.1%3A54329"), allow)).toMatchObject({ ok: true });
  });

  it("refuses a target outside the allowlist, including the system Postgres and other spellings of loopback", () => {
    for (const address of ["127.0.0.1:5432", "localhost:54329", "127.0.0.2:54329", "[::1]:54329", "10.0.0.5:54329"]) {
      expect(decideTunnel(fromDriver(`/v2?address=${address}`), allow)).toMatchObject({
        ok: false,
        code: "target_not_allowed",
      });
    }
  });

  it("refuses a missing, repeated or malformed address", () => {
    expect(decideTunnel(fromDriver("/v2"), allow)).toMatchObject({ ok: false, code: "missing_address" });
    expect(decideTunnel({ url: undefined, origin: undefined }, allow)).toMatchObject({ code: "missing_address" });
    expect(decideTunnel(fromDriver("/v2?address=nonsense"), allow)).toMatchObject({ code: "malformed_address" });
    expect(decideTunnel(fromDriver("/v2?address=127.0.0.1:54329&address=127.0.0.1:5432"), allow)).toMatchObject({
      code: "malformed_address",
    });
  });

  it("refuses any request from a browser page, even to an allowed target", () => {
    const fromPage = { url: "/v2?address=127.0.0.1:54329", origin: "https://evil.example" };
    expect(decideTunnel(fromPage, allow)).toMatchObject({ ok: false, code: "origin_not_allowed" });
  });
});
