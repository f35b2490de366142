import { and, eq, sql } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import type { RoomAnalyticsStatus } from "../../protocol/room-contract.ts";
import { analyticsHourly, analyticsSamples, analyticsSessions } from "../../schema/index.ts";
import { loadOrCreateSecrets } from "../../scripts/lib/local-config.ts";
import { lambdaService } from "../../scripts/services/lambda.ts";
import { workerService } from "../../scripts/services/worker.ts";
import { poll } from "../support/poll.ts";
import { RoomClient } from "../support/room-client.ts";
import { api, createMeeting, mintToken, newTenant, withDatabase } from "../support/stack.ts";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** The local worker's bound (scripts/lib/local-config.ts ANALYTICS_QUEUE_MAX_SAMPLES). */
const localQueueBound = 400;
const audio = { direction: "inbound", kind: "audio", rttMs: 25, jitterMs: 2, packetsLost: 1, packets: 250 } as const;

afterAll(async () => {
  const secrets = await loadOrCreateSecrets();
  await lambdaService.up(secrets);
  await workerService.up(secrets);
});

async function ingestion(apiKey: string, meetingId: string): Promise<RoomAnalyticsStatus> {
  const response = await api(`/v1/analytics/meetings/${meetingId}`, { key: apiKey });
  expect(response.status).toBe(200);
  return ((await response.json()) as { ingestion: RoomAnalyticsStatus }).ingestion;
}

async function storedCounts(tenantId: string, meetingId: string) {
  return withDatabase(async (db) => {
    const [samples] = await db
      .select({ n: sql<number>`count(*)::int` })
      .from(analyticsSamples)
      .where(and(eq(analyticsSamples.tenantId, tenantId), eq(analyticsSamples.meetingId, meetingId)));
    const [sessions] = await db
      .select({ n: sql<number>`count(*)::int` })
      .from(analyticsSessions)
      .where(and(eq(analyticsSessions.tenantId, tenantId), eq(analyticsSessions.meetingId, meetingId)));
    const [rollup] = await db
      .select({
        samples: sql<number>`coalesce(sum(${analyticsHourly.samples}), 0)::int`,
        dropped: sql<number>`coalesce(sum(${analyticsHourly.samplesDropped}), 0)::int`,
      })
      .from(analyticsHourly)
      .where(and(eq(analyticsHourly.tenantId, tenantId), eq(analyticsHourly.meetingId, meetingId)));
    return { samples: samples!.n, sessions: sessions!.n, rollupSamples: rollup!.samples, dropped: rollup!.dropped };
  });
}

/** Sends one sample a second (the telemetry rate) from each client for `seconds`; returns how many were sent. */
async function sampleFor(clients: RoomClient[], seconds: number): Promise<number> {
  let sent = 0;
  for (let s = 0; s < seconds; s++) {
    for (const client of clients) {
      client.send({ type: "quality_sample", sampleId: crypto.randomUUID(), windowMs: 5000, path: "p2p", tracks: [audio] });
      sent++;
    }
    await pause(1_050);
  }
  return sent;
}

function refusals(clients: RoomClient[]): number {
  return clients.reduce((n, c) => n + c.ofType("error").length, 0);
}

describe("analytics while the ingestion function is down", () => {
  it("within the room's bound nothing is lost, across a workerd restart: the stored batches go once the function is back", {
    timeout: 120_000,
  }, async () => {
    const secrets = await loadOrCreateSecrets();
    const { apiKey, tenantId } = await newTenant("ingestion outage");
    const meeting = await createMeeting(apiKey, { title: "outage" });
    const clients = await Promise.all(
      ["alice", "bob", "carol"].map(async (identity, i) =>
        RoomClient.join((await mintToken(apiKey, meeting.id, { identity, role: i === 0 ? "host" : "guest" })).connectUrl),
      ),
    );

    await lambdaService.down();
    const sent = await sampleFor(clients, 5);
    expect(refusals(clients)).toBe(0);
    // Closed into batches and stored in the room, none sent yet.
    const waiting = await poll(
      () => ingestion(apiKey, meeting.id),
      (s) => s.openRecords === 0 && s.queuedSamples === sent,
      10_000,
    );
    expect(waiting).toMatchObject({ enabled: true, queuedSamples: sent, storedBatches: 0, droppedSamples: 0 });
    expect(waiting.queuedBatches).toBeGreaterThan(0);

    // Everyone leaves (their sessions join the waiting batches), then the Worker restarts while the batches
    // wait: they are in the room's storage, and the room's alarm brings it back to send them.
    for (const client of clients) client.close();
    await poll(
      () => ingestion(apiKey, meeting.id),
      (s) => s.openRecords === 0 && s.queuedSamples === sent && s.queuedBatches > waiting.queuedBatches,
      10_000,
    );
    await workerService.down();
    await workerService.up(secrets);
    await lambdaService.up(secrets);

    const stored = await poll(
      () => storedCounts(tenantId, meeting.id),
      (c) => c.samples === sent && c.sessions === 3,
      60_000,
      500,
    );
    expect(stored).toEqual({ samples: sent, sessions: 3, rollupSamples: sent, dropped: 0 });
    expect(await ingestion(apiKey, meeting.id)).toMatchObject({ queuedBatches: 0, queuedSamples: 0, droppedSamples: 0, deadBatches: 0 });
  });

  it("beyond the bound the oldest samples are dropped, counted in the room and in the rollups, and everything else arrives", {
    timeout: 180_000,
  }, async () => {
    const secrets = await loadOrCreateSecrets();
    const { apiKey, tenantId } = await newTenant("ingestion bound");
    const meeting = await createMeeting(apiKey, { title: "bound", maxParticipants: 50 });
    const clients: RoomClient[] = [];
    for (let i = 0; i < 30; i++) {
      const identity = `p${String(i).padStart(2, "0")}`;
      clients.push(await RoomClient.join((await mintToken(apiKey, meeting.id, { identity, role: i === 0 ? "host" : "guest" })).connectUrl));
    }

    await lambdaService.down();
    const sent = await sampleFor(clients, 16);
    expect(sent).toBeGreaterThan(localQueueBound);
    expect(refusals(clients)).toBe(0);
    const full = await poll(
      () => ingestion(apiKey, meeting.id),
      (s) => s.openRecords === 0 && s.queuedSamples + s.droppedSamples === sent,
      10_000,
    );
    expect(full, JSON.stringify(full)).toMatchObject({ queuedSamples: localQueueBound });
    expect(full.droppedSamples).toBe(sent - localQueueBound);

    await lambdaService.up(secrets);
    // Everyone leaves: their sessions close the last batch, which carries the drop count to the function.
    for (const client of clients) client.close();
    // A batch that failed just before the function came back waits out its backoff (at most 60 s) before it goes.
    const stored = await poll(
      () => storedCounts(tenantId, meeting.id),
      (c) => c.sessions === 30 && c.samples === localQueueBound && c.dropped === sent - localQueueBound,
      90_000,
      500,
    );
    expect(stored).toEqual({ samples: localQueueBound, sessions: 30, rollupSamples: localQueueBound, dropped: sent - localQueueBound });
    // Nothing waits any more (a batch still backing off from the outage may go a few seconds after the rest).
    const drained = await poll(
      () => ingestion(apiKey, meeting.id),
      (s) => s.queuedBatches === 0,
      20_000,
    );
    expect(drained).toMatchObject({ queuedBatches: 0, unreportedDrops: 0, droppedSamples: sent - localQueueBound, deadBatches: 0 });
  });
});
