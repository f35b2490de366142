import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poll } from "../support/poll.ts";
import { api, expectProblem, newTenant } from "../support/stack.ts";
import { WebhookReceiver } from "../support/webhook-receiver.ts";
import { createEndpoint, deliveries, endedMeeting } from "./support.ts";

let victimKey: string;
let attackerKey: string;
let receiver: WebhookReceiver;
let victimEndpoint: { id: string };
let victimDelivery: string;

beforeAll(async () => {
  ({ apiKey: victimKey } = await newTenant("webhook victim"));
  ({ apiKey: attackerKey } = await newTenant("webhook attacker"));
  receiver = await WebhookReceiver.start();
  victimEndpoint = await createEndpoint(victimKey, { url: receiver.url });
  await endedMeeting(victimKey, "victim's meeting");
  const rows = await poll(
    async () => deliveries(victimKey),
    (got) => got[0]?.status === "delivered",
    10_000,
  );
  victimDelivery = rows[0]!.id;
});

afterAll(() => receiver.close());

const listEndpoints = async (key: string) => ((await (await api("/v1/webhook-endpoints", { key })).json()) as { data: unknown[] }).data;

describe("webhook API attacks", () => {
  it("another tenant's endpoints and deliveries are invisible and untouchable", async () => {
    const endpointPath = `/v1/webhook-endpoints/${victimEndpoint.id}`;
    await expectProblem(await api(endpointPath, { key: attackerKey }), 404, "not_found");
    await expectProblem(await api(endpointPath, { key: attackerKey, method: "PATCH", body: { enabled: false } }), 404, "not_found");
    await expectProblem(await api(`${endpointPath}/rotate-secret`, { key: attackerKey, body: {} }), 404, "not_found");
    await expectProblem(
      await api(`${endpointPath}/recover`, { key: attackerKey, body: { since: "2026-01-01T00:00:00Z" } }),
      404,
      "not_found",
    );
    await expectProblem(await api(endpointPath, { key: attackerKey, method: "DELETE" }), 404, "not_found");
    await expectProblem(await api(`/v1/webhook-deliveries/${victimDelivery}`, { key: attackerKey }), 404, "not_found");
    await expectProblem(
      await api(`/v1/webhook-deliveries/${victimDelivery}/replay`, { key: attackerKey, method: "POST" }),
      404,
      "not_found",
    );
    expect(await deliveries(attackerKey, { endpointId: victimEndpoint.id })).toEqual([]);
    expect(await deliveries(attackerKey)).toEqual([]);
    expect(await listEndpoints(attackerKey)).toEqual([]);
    // The victim's endpoint is as it was, and nothing was replayed to its receiver.
    expect(await (await api(endpointPath, { key: victimKey })).json()).toMatchObject({ enabled: true });
    expect(await deliveries(victimKey)).toHaveLength(1);
    expect(receiver.received).toHaveLength(1);
  });

  it("no key, no webhook API", async () => {
    await expectProblem(await api("/v1/webhook-endpoints"), 401, "unauthorized");
    await expectProblem(await api("/v1/webhook-deliveries"), 401, "unauthorized");
  });

  it.each([
    "http://127.0.0.2:9/hooks",
    "http://10.0.0.1/hooks",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]:8787/hooks",
    "http://[::ffff:7f00:2]/hooks",
    "http://2130706434/hooks",
    "http://localhost:8787/v1/meetings",
    "http://metadata.google.internal/computeMetadata/v1/",
    "file:///etc/passwd",
    "http://user:pass@127.0.0.1:9/hooks",
  ])("refuses the SSRF target %s and writes nothing", async (url) => {
    const { apiKey } = await newTenant("ssrf");
    await expectProblem(await api("/v1/webhook-endpoints", { key: apiKey, body: { url } }), 422, "webhook_target_refused");
    expect(await listEndpoints(apiKey)).toEqual([]);
  });

  it("moving an endpoint to an SSRF target is refused and leaves it unchanged", async () => {
    const moved = await api(`/v1/webhook-endpoints/${victimEndpoint.id}`, {
      key: victimKey,
      method: "PATCH",
      body: { url: "http://169.254.169.254/" },
    });
    await expectProblem(moved, 422, "webhook_target_refused");
    expect(await (await api(`/v1/webhook-endpoints/${victimEndpoint.id}`, { key: victimKey })).json()).toMatchObject({ url: receiver.url });
  });

  it.each([
    ["an unknown event type", { url: "http://127.0.0.1:9/a", eventTypes: ["meeting.exploded"] }],
    ["a repeated event type", { url: "http://127.0.0.1:9/b", eventTypes: ["meeting.started", "meeting.started"] }],
    ["an unknown field", { url: "http://127.0.0.1:9/c", secret: "mine" }],
    ["no URL", { description: "x" }],
    ["a zero disable period", { url: "http://127.0.0.1:9/d", disableAfterSeconds: 0 }],
    ["a NUL in the description", { url: "http://127.0.0.1:9/e", description: "a\u0000b" }],
    ["a URL over 2 KiB", { url: `http://127.0.0.1:9/${"x".repeat(2100)}` }],
  ])("refuses %s with problem+json and writes nothing", async (_name, body) => {
    const { apiKey } = await newTenant("bad webhook body");
    await expectProblem(await api("/v1/webhook-endpoints", { key: apiKey, body }), 400, "validation_failed");
    expect(await listEndpoints(apiKey)).toEqual([]);
  });

  it("refuses malformed JSON, bad ids, cursors and filters", async () => {
    await expectProblem(
      await api("/v1/webhook-endpoints", { key: victimKey, rawBody: "{", headers: { "content-type": "application/json" } }),
      400,
      "malformed_json",
    );
    await expectProblem(await api("/v1/webhook-endpoints/not-a-uuid", { key: victimKey }), 400, "validation_failed");
    await expectProblem(await api("/v1/webhook-deliveries?cursor=forged", { key: victimKey }), 400, "validation_failed");
    await expectProblem(await api("/v1/webhook-deliveries?status=lost", { key: victimKey }), 400, "validation_failed");
    await expectProblem(
      await api(`/v1/webhook-endpoints/${victimEndpoint.id}/recover`, { key: victimKey, body: { since: "yesterday" } }),
      400,
      "validation_failed",
    );
  });

  it("a second endpoint at the same URL is a conflict", async () => {
    await expectProblem(
      await api("/v1/webhook-endpoints", { key: victimKey, body: { url: receiver.url } }),
      409,
      "webhook_endpoint_conflict",
    );
  });
});
