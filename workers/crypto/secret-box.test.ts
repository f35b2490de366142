import { describe, expect, it } from "vitest";
import { importSecretsKey, openSecret, sealSecret } from "./secret-box.ts";

const keyText = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));

describe("sealed signing secrets", () => {
  it("opens what it sealed, only for the same endpoint and key", async () => {
    const key = await importSecretsKey(keyText);
    const sealed = await sealSecret(key, "endpoint-a", "whsec_secret");
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9+/=]+\.[A-Za-z0-9+/=]+$/);
    expect(sealed).not.toContain("whsec_secret");
    expect(await openSecret(key, "endpoint-a", sealed)).toBe("whsec_secret");
    // Copied onto another endpoint's row, or opened with another key, it does not open.
    await expect(openSecret(key, "endpoint-b", sealed)).rejects.toThrow();
    const other = await importSecretsKey(btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32)))));
    await expect(openSecret(other, "endpoint-a", sealed)).rejects.toThrow();
    // Altered, it does not open.
    const [tag, iv, body] = sealed.split(".");
    const flipped = `${body![0] === "A" ? "B" : "A"}${body!.slice(1)}`;
    await expect(openSecret(key, "endpoint-a", `${tag}.${iv}.${flipped}`)).rejects.toThrow();
    await expect(openSecret(key, "endpoint-a", "whsec_plain")).rejects.toThrow(/not a sealed secret/);
  });

  it("seals the same secret differently each time (fresh IV)", async () => {
    const key = await importSecretsKey(keyText);
    expect(await sealSecret(key, "e", "s")).not.toBe(await sealSecret(key, "e", "s"));
  });

  it("refuses a key that is not 32 bytes", async () => {
    await expect(importSecretsKey(btoa("short"))).rejects.toThrow(/32 bytes/);
  });
});
