import { and, eq, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import type { ServerFrame } from "../../protocol/server-frames.ts";
import { analyticsEvents, analyticsHourly, analyticsSamples, analyticsSessions } from "../../schema/index.ts";
import { poll } from "../support/poll.ts";
import { RoomClient } from "../support/room-client.ts";
import { createMeeting, mintToken, newTenant, withDatabase } from "../support/stack.ts";

type Updated = Extract<ServerFrame, { type: "participant_updated" }>;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const goodAudio = { direction: "inbound", kind: "audio", rttMs: 30, jitterMs: 3, packetsLost: 0, packets: 250, bitrateKbps: 32 } as const;
const badAudio = { direction: "inbound", kind: "audio", rttMs: 600, jitterMs: 80, packetsLost: 80, packets: 240, bitrateKbps: 20 } as const;
const sample = (sampleId: string, tracks: unknown[]) =>
  ({ type: "quality_sample", sampleId, windowMs: 5000, path: "p2p", candidateType: "host", tracks }) as never;

let apiKey: string;
let tenantId: string;
beforeAll(async () => {
  ({ apiKey, tenantId } = await newTenant("analytics ingestion"));
});

async function stored(meetingId: string) {
  return withDatabase(async (db) => {
    const mine = (table: typeof analyticsSamples | typeof analyticsEvents | typeof analyticsSessions) =>
      and(eq(table.tenantId, tenantId), eq(table.meetingId, meetingId));
    return {
      samples: await db.select().from(analyticsSamples).where(mine(analyticsSamples)),
      events: await db.select().from(analyticsEvents).where(mine(analyticsEvents)),
      sessions: await db.select().from(analyticsSessions).where(mine(analyticsSessions)),
      hourly: await db
        .select({
          samples: sql<number>`sum(${analyticsHourly.samples})::int`,
          sessions: sql<number>`sum(${analyticsHourly.sessions})::int`,
          connectionAttempts: sql<number>`sum(${analyticsHourly.connectionAttempts})::int`,
        })
        .from(analyticsHourly)
        .where(and(eq(analyticsHourly.tenantId, tenantId), eq(analyticsHourly.meetingId, meetingId))),
    };
  });
}

describe("call-quality records from a meeting room to the ingestion function", () => {
  it("samples, events and sessions reach Postgres through the Lambda once each, rated as the roster showed them", {
    timeout: 60_000,
  }, async () => {
    const meeting = await createMeeting(apiKey, { title: "measured call" });
    const alice = await RoomClient.join((await mintToken(apiKey, meeting.id, { identity: "alice", role: "host" })).connectUrl);
    const bob = await RoomClient.join((await mintToken(apiKey, meeting.id, { identity: "bob", role: "guest" })).connectUrl);
    const ids = { aliceGood: crypto.randomUUID(), bobBad: crypto.randomUUID(), bobGood: crypto.randomUUID() };

    for (const [client, name] of [
      [alice, "alice"],
      [bob, "bob"],
    ] as const) {
      client.send({
        type: "quality_event",
        event: {
          kind: "join_timing",
          eventId: crypto.randomUUID(),
          path: "p2p",
          tokenMs: 40,
          socketMs: 60,
          firstMediaMs: name === "alice" ? null : 300,
        },
      });
      client.send({
        type: "quality_event",
        event: { kind: "connection_outcome", eventId: crypto.randomUUID(), path: "p2p", outcome: "joined", elapsedMs: 400 },
      });
    }
    alice.send(sample(ids.aliceGood, [goodAudio]));
    bob.send(sample(ids.bobBad, [badAudio]));
    const lost = await alice.next<Updated>((f) => f.type === "participant_updated" && f.participant.identity === "bob");
    expect(lost.participant.connectionQuality).toBe("lost");
    await pause(1_100);
    bob.send(sample(ids.bobGood, [goodAudio]));
    // A reconnecting client may send a sample again: it is kept once.
    await pause(1_100);
    bob.send(sample(ids.bobGood, [goodAudio]));
    await pause(200);
    bob.close();
    await alice.next((f) => f.type === "participant_left" && f.identity === "bob");
    alice.close();

    // The room closes its batch when the meeting empties; the function stores it.
    const rows = await poll(
      () => stored(meeting.id),
      (r) => r.samples.length === 3 && r.events.length === 4 && r.sessions.length === 2,
      20_000,
    );
    expect(rows.samples).toHaveLength(3);
    expect(rows.events).toHaveLength(4);
    expect(rows.sessions.map((s) => s.participant).sort()).toEqual(["alice", "bob"]);
    const byId = new Map(rows.samples.map((s) => [s.sampleId, s]));
    expect(byId.get(ids.bobBad)).toMatchObject({ participant: "bob", quality: "lost", rttMs: 600, packetsLost: 80, path: "p2p" });
    expect(byId.get(ids.bobBad)!.mos!).toBeLessThan(2.5);
    expect(byId.get(ids.bobGood)).toMatchObject({ participant: "bob", quality: "excellent" });
    expect(byId.get(ids.aliceGood)!.mos!).toBeGreaterThanOrEqual(4.1);
    // Every record came in the room's batches and names the meeting's region (peer to peer here).
    expect(new Set(rows.samples.map((s) => s.region)).size).toBe(1);
    expect(rows.samples[0]!.region).toMatch(/^p2p-/);
    expect(rows.hourly[0]).toEqual({ samples: 3, sessions: 2, connectionAttempts: 2 });
    const joinTimings = rows.events.filter((e) => e.kind === "join_timing").map((e) => e.totalMs);
    expect(joinTimings.sort()).toEqual([100, 400]);
  });
});
