import { describe, expect, it } from "vitest";
import { addressRefusal, checkTarget, checkTargetUrl, type TargetPolicy } from "./ssrf-guard.ts";

const production: TargetPolicy = { allowedPrivateHosts: [], requireHttps: true };
const local: TargetPolicy = { allowedPrivateHosts: ["127.0.0.1"], requireHttps: false };
/** What the shell hands the policy: the WHATWG parse, or null. */
const parse = (raw: string) => {
  try {
    return new URL(raw);
  } catch {
    return null;
  }
};
const resolveTo = (addresses: string[]) => async () => addresses;

describe("webhook target policy", () => {
  it.each([
    "https://127.0.0.1/x",
    "https://10.0.0.5/x",
    "https://172.16.3.4/x",
    "https://192.168.1.1/x",
    "https://169.254.169.254/latest/meta-data",
    "https://100.64.0.1/x",
    "https://0.0.0.0/x",
    "https://[::1]/x",
    "https://[::ffff:127.0.0.1]/x",
    "https://[::ffff:a9fe:a9fe]/x",
    "https://[fd00::1]/x",
    "https://[fe80::1]/x",
    "https://[2002:7f00:1::]/x",
    "https://[64:ff9b::a00:1]/x",
    "https://2130706433/x",
    "https://0x7f.1/x",
    "https://017700000001/x",
    "https://localhost/x",
    "https://api.localhost/x",
    "https://metadata.google.internal/x",
    "https://printer.local./x",
  ])("production refuses %s", (url) => {
    expect(checkTargetUrl(parse(url), production).ok).toBe(false);
  });

  it("production takes only https, without credentials", () => {
    expect(checkTargetUrl(parse("http://hooks.example.com/x"), production)).toMatchObject({ ok: false, reason: "the URL must be https" });
    expect(checkTargetUrl(parse("https://user:pw@hooks.example.com/x"), production).ok).toBe(false);
    expect(checkTargetUrl(parse("ftp://hooks.example.com/x"), production).ok).toBe(false);
    expect(checkTargetUrl(parse("not a url"), production).ok).toBe(false);
    expect(checkTargetUrl(parse("https://hooks.example.com/x"), production).ok).toBe(true);
    expect(checkTargetUrl(parse("https://[2606:4700::6810:84e5]/x"), production).ok).toBe(true);
  });

  it("the local allow-list lets exactly its hosts through, and nothing else private", () => {
    expect(checkTargetUrl(parse("http://127.0.0.1:9999/hooks"), local).ok).toBe(true);
    expect(checkTargetUrl(parse("http://127.0.0.2:9999/hooks"), local).ok).toBe(false);
    expect(checkTargetUrl(parse("http://[::1]:9999/hooks"), local).ok).toBe(false);
    expect(checkTargetUrl(parse("http://169.254.169.254/"), local).ok).toBe(false);
  });

  it("a public name is refused when it resolves inside, or cannot be resolved", async () => {
    expect((await checkTarget(parse("https://hooks.example.com/x"), production, resolveTo(["93.184.216.34"]))).ok).toBe(true);
    expect(await checkTarget(parse("https://rebind.example.com/x"), production, resolveTo(["93.184.216.34", "10.1.2.3"]))).toMatchObject({
      ok: false,
      reason: "rebind.example.com resolves to a private address",
    });
    expect((await checkTarget(parse("https://v6.example.com/x"), production, resolveTo(["::ffff:127.0.0.1"]))).ok).toBe(false);
    expect((await checkTarget(parse("https://nx.example.com/x"), production, resolveTo([]))).ok).toBe(false);
    const failing = async () => {
      throw new Error("SERVFAIL");
    };
    expect((await checkTarget(parse("https://broken.example.com/x"), production, failing)).ok).toBe(false);
  });

  it("judges addresses by range", () => {
    expect(addressRefusal("8.8.8.8")).toBeNull();
    expect(addressRefusal("127.0.0.1")).toBe("a loopback address");
    expect(addressRefusal("::ffff:10.0.0.1")).toBe("a private address");
    expect(addressRefusal("hooks.example.com")).toBeNull();
  });
});
