import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeUsage } from "../../workers/usage/usage-writer.ts";
import { poll } from "../support/poll.ts";
import { api, createMeeting, newTenant, withDatabase } from "../support/stack.ts";
import { WebhookReceiver } from "../support/webhook-receiver.ts";

// A period close reaches the tenant's receiver as usage.period_closed, signed (checked by the standardwebhooks
// verifier), carrying the same frozen numbers the close answered with.
let receiver: WebhookReceiver;
beforeAll(async () => {
  receiver = await WebhookReceiver.start();
});
afterAll(() => receiver.close());

describe("usage.period_closed", () => {
  it("is delivered signed to the tenant's endpoint with the frozen totals", async () => {
    const { apiKey, tenantId } = await newTenant("usage-period-webhook");
    const endpoint = await api("/v1/webhook-endpoints", { key: apiKey, body: { url: receiver.url, eventTypes: ["usage.period_closed"] } });
    expect(endpoint.status).toBe(201);
    const { signingSecret } = (await endpoint.json()) as { signingSecret: string };
    const meetingId = (await createMeeting(apiKey, { title: "May" })).id;
    await withDatabase((db) =>
      writeUsage(
        db,
        { tenantId, meetingId },
        {
          kind: "sfu_participant_seconds",
          quantity: 0,
          sourceId: "livekit:RM_may:PA_1",
          periodStart: "2025-05-20T10:00:00.000Z",
          periodEnd: "2025-05-20T12:00:00.000Z",
        },
      ),
    );
    const closed = await api("/v1/usage/periods/2025-05/close", { key: apiKey, method: "POST" });
    expect(closed.status).toBe(201);
    const frozen = (await closed.json()) as {
      totalMinor: number;
      lines: { meter: string; quantity: number; billedQuantity: number; amountMinor: number }[];
    };
    // Default prices: 0.05 cents a minute on the SFU, 60 free minutes, whole minutes: 60 chargeable minutes = 3 cents.
    expect(frozen.totalMinor).toBe(3);

    const events = await poll(
      async () => receiver.events().filter((e) => e.type === "usage.period_closed"),
      (e) => e.length > 0,
      20_000,
    );
    receiver.verifyAll(signingSecret);
    expect(events[0]).toMatchObject({
      meetingId: null,
      data: {
        periodStart: "2025-05-01T00:00:00.000Z",
        periodEnd: "2025-06-01T00:00:00.000Z",
        totalMinor: 3,
        currency: "USD",
        meters: frozen.lines.map(({ meter, quantity, billedQuantity, amountMinor }) => ({ meter, quantity, billedQuantity, amountMinor })),
      },
    });
  }, 40_000);
});
