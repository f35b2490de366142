import { describe, expect, it } from "vitest";
import { Webhook } from "standardwebhooks";
import { newSigningSecret, signedHeaders } from "./signing.ts";

describe("signing", () => {
  const body = JSON.stringify({ id: "e1", type: "meeting.ended", data: { reason: "api" } });
  const at = new Date("2026-12-03T10:00:00Z");

  it("signs so that the standardwebhooks verifier accepts it, and rejects a changed body", () => {
    const secret = newSigningSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const headers = signedHeaders({ current: secret, previous: null, previousExpiresAt: null }, "e1", body, new Date());
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(secret).verify(`${body} `, headers)).toThrow();
    expect(() => new Webhook(newSigningSecret()).verify(body, headers)).toThrow();
  });

  it("signs with both secrets while a rotation overlaps, and with the new one alone after", () => {
    const secrets = { current: newSigningSecret(), previous: newSigningSecret(), previousExpiresAt: at.getTime() + 1000 };
    const during = signedHeaders(secrets, "e1", body, at);
    expect(during["webhook-signature"]!.split(" ")).toHaveLength(2);
    expect(during).toMatchObject({ "webhook-id": "e1", "webhook-timestamp": String(at.getTime() / 1000) });
    const after = signedHeaders(secrets, "e1", body, new Date(at.getTime() + 1000));
    expect(after["webhook-signature"]!.split(" ")).toHaveLength(1);
  });
});
