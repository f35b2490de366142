import http from "node:http";
import type { AddressInfo } from "node:net";
import { asc, eq } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { webhookDeliveries, webhookEvents } from "../../schema/index.ts";
import { loadOrCreateSecrets } from "../../scripts/lib/local-config.ts";
import { scheduledUrl, workerService } from "../../scripts/services/worker.ts";
import { poll } from "../support/poll.ts";
import { newTenant, withDatabase } from "../support/stack.ts";
import { WebhookReceiver } from "../support/webhook-receiver.ts";
import { createEndpoint, endedMeeting, meetingWithThreeFacts, pause } from "../webhooks/support.ts";

afterAll(async () => {
  await workerService.up(await loadOrCreateSecrets());
});

/** A port nothing listens on (yet): bound, read, released. */
async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const eventsOf = (tenantId: string) =>
  withDatabase((db) =>
    db
      .select({ id: webhookEvents.id, seq: webhookEvents.seq, meetingId: webhookEvents.meetingId })
      .from(webhookEvents)
      .where(eq(webhookEvents.tenantId, tenantId))
      .orderBy(asc(webhookEvents.seq)),
  );

describe("webhook durability", () => {
  it("a receiver down for a while, across a workerd restart, then up, gets every event as signed, in order per meeting", async () => {
    const secrets = await loadOrCreateSecrets();
    const { apiKey, tenantId } = await newTenant("webhook durability");
    const port = await freePort();
    const endpoint = await createEndpoint(apiKey, { url: `http://127.0.0.1:${port}/hooks` });

    // Receiver down: facts from three meetings pile up, failing and backing off.
    const meetings = [await meetingWithThreeFacts(apiKey, "down 1"), await endedMeeting(apiKey, "down 2")];
    await poll(
      async () => withDatabase((db) => db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, endpoint.id))),
      (rows) => rows.length === 4 && rows.every((r) => r.attempts >= 1),
      10_000,
    );
    // workerd restarts mid-outage: dispatchers sleep on their alarms, rooms keep their outboxes.
    await workerService.down();
    await workerService.up(secrets);
    meetings.push(await meetingWithThreeFacts(apiKey, "after restart"));

    const receiver = await WebhookReceiver.start("/hooks", port);
    try {
      // The restart also makes facts of its own (alice's sockets dropped): wait until every recorded event has arrived
      // and no new one was recorded for two seconds.
      let recorded = await eventsOf(tenantId);
      const deadline = Date.now() + 45_000;
      for (;;) {
        const arrived = recorded.every((r) => receiver.events().some((e) => e.id === r.id));
        if (arrived) {
          await pause(2_000);
          const again = await eventsOf(tenantId);
          if (again.length === recorded.length) break;
          recorded = again;
        } else if (Date.now() > deadline) break;
        else await pause(250);
        recorded = await eventsOf(tenantId);
      }
      expect(recorded.length).toBeGreaterThanOrEqual(7);
      const received = receiver.events();
      for (const r of recorded) expect(received.some((e) => e.id === r.id)).toBe(true);
      receiver.verifyAll(endpoint.signingSecret);
      for (const meetingId of meetings) {
        const expected = recorded.filter((r) => r.meetingId === meetingId).map((r) => r.id);
        const firstSeen = [...new Set(received.filter((e) => e.meetingId === meetingId).map((e) => e.id))];
        expect(firstSeen).toEqual(expected);
      }
    } finally {
      await receiver.close();
    }
  }, 120_000);

  it("a delivery committed by a Worker that stopped before waking its dispatcher is sent by the cron's sweep", async () => {
    const { apiKey, tenantId } = await newTenant("webhook sweep");
    const receiver = await WebhookReceiver.start();
    try {
      const endpoint = await createEndpoint(apiKey, { url: receiver.url });
      const meetingId = await endedMeeting(apiKey, "swept");
      await poll(
        async () => receiver.received.length,
        (n) => n === 1,
        10_000,
      );
      // What a crash between commit and poke leaves: a due delivery nobody woke the dispatcher for.
      const [event] = await eventsOf(tenantId);
      await withDatabase((db) =>
        db.insert(webhookDeliveries).values({
          tenantId,
          endpointId: endpoint.id,
          eventId: event!.id,
          eventType: "meeting.ended",
          eventSeq: event!.seq,
          meetingId,
          laneKey: meetingId,
          replayOf: crypto.randomUUID(),
        }),
      );
      await pause(1_500);
      expect(receiver.received).toHaveLength(1);
      const swept = await fetch(scheduledUrl("* * * * *"));
      expect(swept.status).toBe(200);
      await poll(
        async () => receiver.received.length,
        (n) => n === 2,
        10_000,
      );
      expect(receiver.received).toHaveLength(2);
      receiver.verifyAll(endpoint.signingSecret);
    } finally {
      await receiver.close();
    }
  });
});
