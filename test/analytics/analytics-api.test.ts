import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { meetings } from "../../schema/index.ts";
import type { CallQualityMetrics } from "../../workers/analytics/core/call-quality-metrics.ts";
import type { ParticipantMetrics } from "../../workers/analytics/core/participant-metrics.ts";
import { api, createMeeting, expectProblem, newTenant, withDatabase } from "../support/stack.ts";
import { type BatchInput, ingest } from "./analytics-fixtures.ts";

// The analytics API over records stored by the ingestion function, each metric checked against values computed by
// hand from the records below; what another tenant can see; what bad input and no key get.

type Tenant = { apiKey: string; tenantId: string };
let owner: Tenant;
let stranger: Tenant;
/** m1 moved from eu-west to us-east at 10:00; m2 stayed in eu-west and met again the next day. */
let m1: string;
let m2: string;
let foreign: string;

const day = "from=2025-06-10T00:00:00Z&to=2025-06-11T00:00:00Z";
const audio = (rttMs: number | null, jitterMs: number | null, packets: number, packetsLost: number) =>
  ({ direction: "inbound", kind: "audio", rttMs, jitterMs, packets, packetsLost }) as const;

/**
 * 2025-06-10. Samples (MOS, worst RTT/jitter, packets/lost): alice 4.375 40/4 250/0, 3.75 120/10 740/10 (two tracks),
 * 4.125 60/6 300/0 (us-east); bob 2.0 300/30 150/50, one with no tracks; carol 3.25 200/20 90/10 (us-east);
 * dave 4.375 20/2 1000/0 (m2). Join times 600, 400, 1000 (us-east), 200 (m2). Outcomes: alice, bob (after a
 * failed_ice), carol, dave joined; erin gave up (m2). Drops: bob, alice (us-east), carol (us-east). Sessions: alice
 * 09:10–09:40 (eu), bob 09:30–10:15 (us, two hours), carol 10:05–10:45 (us), alice 10:00–10:30 (us), dave
 * 10:00–10:20 (m2). The eu-west room dropped 3 samples.
 */
function batches(): BatchInput[] {
  const t = (time: string) => `2025-06-10T${time}Z`;
  return [
    {
      tenantId: owner.tenantId,
      meetingId: m1,
      region: "eu-west",
      createdAt: t("09:59:00"),
      droppedSamples: 3,
      samples: [
        { participant: "alice", at: t("09:15:00"), mos: 4.375, quality: "excellent", tracks: [audio(40, 4, 250, 0)] },
        {
          participant: "alice",
          at: t("09:20:00"),
          mos: 3.75,
          quality: "good",
          tracks: [
            audio(100, 10, 240, 10),
            { direction: "outbound", kind: "video", rttMs: 120, jitterMs: null, packets: 500, packetsLost: 0 },
          ],
        },
        { participant: "bob", at: t("09:35:00"), mos: 2, quality: "lost", tracks: [audio(300, 30, 150, 50)] },
        { participant: "bob", at: t("09:36:00"), mos: null, quality: null, tracks: [] },
      ],
      events: [
        { participant: "alice", at: t("09:10:00"), kind: "join_timing", tokenMs: 100, socketMs: 200, firstMediaMs: 300 },
        { participant: "bob", at: t("09:30:00"), kind: "join_timing", tokenMs: 150, socketMs: 250, firstMediaMs: null },
        { participant: "alice", at: t("09:10:00"), kind: "connection_outcome", outcome: "joined", elapsedMs: 500 },
        { participant: "bob", at: t("09:29:00"), kind: "connection_outcome", outcome: "failed_ice", elapsedMs: 3000 },
        { participant: "bob", at: t("09:30:00"), kind: "connection_outcome", outcome: "joined", elapsedMs: 700 },
        { participant: "bob", at: t("09:50:00"), kind: "drop", cause: "ice_disconnected" },
      ],
      sessions: [{ participant: "alice", joinedAt: t("09:10:00"), leftAt: t("09:40:00") }],
    },
    {
      tenantId: owner.tenantId,
      meetingId: m1,
      region: "us-east",
      createdAt: t("10:50:00"),
      samples: [
        { participant: "alice", at: t("10:10:00"), mos: 4.125, quality: "excellent", tracks: [audio(60, 6, 300, 0)] },
        { participant: "carol", at: t("10:20:00"), mos: 3.25, quality: "poor", tracks: [audio(200, 20, 90, 10)] },
      ],
      events: [
        { participant: "carol", at: t("10:05:00"), kind: "join_timing", tokenMs: 200, socketMs: 300, firstMediaMs: 500 },
        { participant: "carol", at: t("10:05:00"), kind: "connection_outcome", outcome: "joined", elapsedMs: 900 },
        { participant: "alice", at: t("10:25:00"), kind: "drop", cause: "sfu_disconnected" },
        { participant: "carol", at: t("10:40:00"), kind: "drop", cause: "socket_closed" },
      ],
      sessions: [
        { participant: "bob", joinedAt: t("09:30:00"), leftAt: t("10:15:00") },
        { participant: "carol", joinedAt: t("10:05:00"), leftAt: t("10:45:00") },
        { participant: "alice", joinedAt: t("10:00:00"), leftAt: t("10:30:00") },
      ],
    },
    {
      tenantId: owner.tenantId,
      meetingId: m2,
      region: "eu-west",
      createdAt: t("10:40:00"),
      samples: [{ participant: "dave", at: t("10:05:00"), mos: 4.375, quality: "excellent", tracks: [audio(20, 2, 1000, 0)] }],
      events: [
        { participant: "dave", at: t("10:00:00"), kind: "join_timing", tokenMs: 50, socketMs: 50, firstMediaMs: 100 },
        { participant: "dave", at: t("10:00:00"), kind: "connection_outcome", outcome: "joined", elapsedMs: 200 },
        { participant: "erin", at: t("10:01:00"), kind: "connection_outcome", outcome: "gave_up", elapsedMs: 30000 },
      ],
      sessions: [{ participant: "dave", joinedAt: t("10:00:00"), leftAt: t("10:20:00") }],
    },
    // The next day: outside every range that ends on the 11th.
    {
      tenantId: owner.tenantId,
      meetingId: m2,
      region: "eu-west",
      createdAt: "2025-06-11T09:30:00Z",
      samples: [{ participant: "dave", at: "2025-06-11T09:05:00Z", mos: 3.75, quality: "good", tracks: [audio(80, 8, 400, 100)] }],
      events: [{ participant: "dave", at: "2025-06-11T09:00:00Z", kind: "join_timing", tokenMs: 400, socketMs: 400, firstMediaMs: 0 }],
      sessions: [{ participant: "dave", joinedAt: "2025-06-11T09:00:00Z", leftAt: "2025-06-11T09:20:00Z" }],
    },
  ];
}

beforeAll(async () => {
  owner = await newTenant("analytics-api");
  stranger = await newTenant("analytics-api-stranger");
  m1 = (await createMeeting(owner.apiKey, { title: "Moved" })).id;
  m2 = (await createMeeting(owner.apiKey, { title: "Stayed" })).id;
  foreign = (await createMeeting(stranger.apiKey, { title: "Elsewhere" })).id;
  // Meetings that ran on 2025-06-10 (the API only makes meetings now).
  await withDatabase(async (db) => {
    for (const id of [m1, m2, foreign]) {
      await db
        .update(meetings)
        .set({ createdAt: new Date("2025-06-10T08:00:00Z"), status: "ended", endedAt: new Date("2025-06-10T11:30:00Z") })
        .where(eq(meetings.id, id));
    }
  });
  // In order: which region the active-participant table keeps for bob's 09:00 is the first batch's.
  for (const batch of batches()) await ingest(batch);
  // The stranger's meeting in the same hours and region: must never show in the owner's numbers, nor theirs in its.
  await ingest({
    tenantId: stranger.tenantId,
    meetingId: foreign,
    region: "eu-west",
    createdAt: "2025-06-10T09:50:00Z",
    samples: [{ participant: "mallory", at: "2025-06-10T09:20:00Z", mos: 1.5, quality: "lost", tracks: [audio(900, 90, 10, 90)] }],
    events: [
      { participant: "mallory", at: "2025-06-10T09:00:00Z", kind: "join_timing", tokenMs: 1000, socketMs: 2000, firstMediaMs: 2000 },
    ],
    sessions: [{ participant: "mallory", joinedAt: "2025-06-10T09:00:00Z", leftAt: "2025-06-10T09:45:00Z" }],
  });
}, 120_000);

async function getJson<T>(path: string, key = owner.apiKey): Promise<T> {
  const response = await api(path, { key });
  const text = await response.text();
  expect({ status: response.status, text }).toMatchObject({ status: 200 });
  return JSON.parse(text) as T;
}

type Summary = { from: string; to: string; meetingId: string | null; region: string | null; metrics: CallQualityMetrics };
type Regions = { from: string; to: string; data: { region: string; metrics: CallQualityMetrics }[] };
type HourlyPage = { data: { hour: string; meetingId: string; region: string; metrics: CallQualityMetrics }[]; nextCursor: string | null };
type MeetingAnalytics = {
  meetingId: string;
  from: string;
  to: string;
  metrics: CallQualityMetrics;
  regions: { region: string; metrics: CallQualityMetrics }[];
  participants: ParticipantMetrics[];
};

const bands = (...samples: number[]) => samples.map((n) => ({ samples: n }));

describe("GET /v1/analytics/summary", () => {
  it("computes every key metric of the day from the tenant's records", async () => {
    const body = await getJson<Summary>(`/v1/analytics/summary?${day}`);
    expect(body).toMatchObject({ from: "2025-06-10T00:00:00.000Z", to: "2025-06-11T00:00:00.000Z", meetingId: null, region: null });
    const m = body.metrics;
    expect(m.connections).toEqual({ attempts: 6, joined: 4, successRate: 4 / 6 });
    // Join times 200, 400, 600, 1000: p50 halfway between 400 and 600; p95 at rank 2.85 → 600 + 0.85 × 400.
    expect(m.joinTime).toMatchObject({ timings: 4, meanMs: 550, p50Ms: 500 });
    expect(m.joinTime.p95Ms).toBeCloseTo(940, 9);
    expect(m.packetLoss).toEqual({ packets: 2530, packetsLost: 70, rate: 70 / 2600 });
    expect(m.rtt).toEqual({ samples: 6, meanMs: 740 / 6 });
    expect(m.jitter).toEqual({ samples: 6, meanMs: 12 });
    expect(m.mos.samples).toBe(6);
    expect(m.mos.mean).toBeCloseTo(21.875 / 6, 12);
    expect(m.mos.distribution).toMatchObject(bands(2, 1, 1, 1, 1));
    expect(m.mos.distribution.map((b) => b.share)).toEqual([2 / 6, 1 / 6, 1 / 6, 1 / 6, 1 / 6]);
    // 9900 participant-seconds = 2.75 participant-hours.
    expect(m.drops).toEqual({ count: 3, sessions: 5, perParticipantHour: 3 / 2.75, perSession: 0.6 });
    // Sessions 1800 + 2700 + 2400 + 1800 + 1200 s; m1 09:10–10:45 (5700 s), m2 10:00–10:20 (1200 s).
    expect(m.callDuration).toEqual({ sessions: 5, meanSessionSeconds: 1980, meetings: 2, meanMeetingSeconds: 3450 });
    expect(m.participantSeconds).toBe(9900);
    expect(m.meetingMinutes).toBe(165);
    // alice, bob, carol, dave, and erin (who only failed to connect).
    expect(m.activeUsers).toBe(5);
    expect(m.samples).toBe(7);
    expect(m.samplesDropped).toBe(3);
  });

  it("filters by meeting and by region", async () => {
    const eu = (await getJson<Summary>(`/v1/analytics/summary?${day}&region=eu-west`)).metrics;
    expect(eu.samples).toBe(5);
    expect(eu.connections).toEqual({ attempts: 5, joined: 3, successRate: 0.6 });
    // 200, 400, 600: p95 at rank 1.9 → 400 + 0.9 × 200.
    expect(eu.joinTime).toMatchObject({ timings: 3, meanMs: 400, p50Ms: 400 });
    expect(eu.joinTime.p95Ms).toBeCloseTo(580, 9);
    expect(eu.callDuration).toEqual({ sessions: 2, meanSessionSeconds: 1500, meetings: 2, meanMeetingSeconds: 1500 });
    expect(eu.activeUsers).toBe(4);

    const only = await getJson<Summary>(`/v1/analytics/summary?${day}&meetingId=${m2}`);
    expect(only).toMatchObject({ meetingId: m2, region: null });
    expect(only.metrics).toMatchObject({
      samples: 1,
      connections: { attempts: 2, joined: 1, successRate: 0.5 },
      joinTime: { timings: 1, meanMs: 200, p50Ms: 200, p95Ms: 200 },
      callDuration: { sessions: 1, meanSessionSeconds: 1200, meetings: 1, meanMeetingSeconds: 1200 },
      activeUsers: 2,
      drops: { count: 0, perSession: 0, perParticipantHour: 0 },
    });
    // Upper case is the same meeting.
    const upper = await getJson<Summary>(`/v1/analytics/summary?${day}&meetingId=${m2.toUpperCase()}`);
    expect(upper.metrics).toEqual(only.metrics);
  });

  it("reads whole hours of the range only: the next day's records count once the range covers them", async () => {
    const next = (await getJson<Summary>("/v1/analytics/summary?from=2025-06-11T00:00:00Z&to=2025-06-11T09:30:00Z")).metrics;
    // 09:30 rounds up to 10:00: dave's 09:05 sample is in.
    expect(next).toMatchObject({ samples: 1, joinTime: { timings: 1, p50Ms: 800 }, packetLoss: { rate: 0.2 }, activeUsers: 1 });
    const both = await getJson<Summary>("/v1/analytics/summary?from=2025-06-10T00:00:00Z&to=2025-06-12T00:00:00Z");
    expect(both.metrics).toMatchObject({ samples: 8, joinTime: { timings: 5, p50Ms: 600 }, activeUsers: 5, callDuration: { sessions: 6 } });
    const before = (await getJson<Summary>("/v1/analytics/summary?from=2025-06-10T00:00:00Z&to=2025-06-10T09:00:00Z")).metrics;
    expect(before.samples).toBe(0);
    expect(before.mos.mean).toBeNull();
    expect(before.joinTime).toEqual({ timings: 0, meanMs: null, p50Ms: null, p95Ms: null });
    expect(before.callDuration).toEqual({ sessions: 0, meanSessionSeconds: null, meetings: 0, meanMeetingSeconds: null });
    expect(before.connections.successRate).toBeNull();
    expect(before.packetLoss.rate).toBeNull();
  });
});

describe("GET /v1/analytics/regions", () => {
  it("gives each region its own metrics", async () => {
    const body = await getJson<Regions>(`/v1/analytics/regions?${day}`);
    expect(body.data.map((r) => r.region)).toEqual(["eu-west", "us-east"]);
    const [eu, us] = body.data.map((r) => r.metrics) as [CallQualityMetrics, CallQualityMetrics];
    expect(eu).toMatchObject({
      samples: 5,
      mos: { samples: 4, mean: 14.5 / 4 },
      rtt: { samples: 4, meanMs: 120 },
      jitter: { samples: 4, meanMs: 11.5 },
      packetLoss: { packets: 2140, packetsLost: 60, rate: 60 / 2200 },
      drops: { count: 1, sessions: 2, perParticipantHour: 1.2, perSession: 0.5 },
      participantSeconds: 3000,
      activeUsers: 4,
      samplesDropped: 3,
    });
    expect(eu.mos.distribution).toMatchObject(bands(2, 0, 1, 0, 1));
    expect(us).toMatchObject({
      samples: 2,
      mos: { samples: 2, mean: 7.375 / 2 },
      rtt: { samples: 2, meanMs: 130 },
      jitter: { samples: 2, meanMs: 13 },
      packetLoss: { packets: 390, packetsLost: 10, rate: 0.025 },
      connections: { attempts: 1, joined: 1, successRate: 1 },
      joinTime: { timings: 1, meanMs: 1000, p50Ms: 1000, p95Ms: 1000 },
      // bob's session counts where it ended: 2700 + 2400 + 1800 s; m1 in us-east from bob's 09:30 to carol's 10:45.
      callDuration: { sessions: 3, meanSessionSeconds: 2300, meetings: 1, meanMeetingSeconds: 4500 },
      drops: { count: 2, sessions: 3, perParticipantHour: 2 / (6900 / 3600), perSession: 2 / 3 },
      participantSeconds: 6900,
      activeUsers: 3,
      samplesDropped: 0,
    });
    expect(us.mos.distribution).toMatchObject(bands(0, 1, 0, 1, 0));
  });
});

describe("GET /v1/analytics/hourly", () => {
  it("walks every (hour, meeting, region) row once, in order, and the rows add up to the summary", async () => {
    const rows: HourlyPage["data"] = [];
    const cursors = new Set<string>();
    let cursor: string | null = null;
    do {
      const page: HourlyPage = await getJson<HourlyPage>(`/v1/analytics/hourly?${day}&limit=1${cursor ? `&cursor=${cursor}` : ""}`);
      expect(page.data.length).toBeLessThanOrEqual(1);
      rows.push(...page.data);
      cursor = page.nextCursor;
      if (cursor) {
        expect(cursors.has(cursor)).toBe(false);
        cursors.add(cursor);
      }
    } while (cursor);
    const key = (r: { hour: string; meetingId: string; region: string }) => `${r.hour}|${r.meetingId}|${r.region}`;
    const [first, second] = [m1, m2].sort();
    expect(rows.map(key)).toEqual([
      `2025-06-10T09:00:00.000Z|${m1}|eu-west`,
      `2025-06-10T09:00:00.000Z|${m1}|us-east`,
      ...[
        `2025-06-10T10:00:00.000Z|${first}|${first === m1 ? "us-east" : "eu-west"}`,
        `2025-06-10T10:00:00.000Z|${second}|${second === m1 ? "us-east" : "eu-west"}`,
      ],
    ]);
    // One page of everything is the same rows.
    const all = await getJson<HourlyPage>(`/v1/analytics/hourly?${day}&limit=100`);
    expect(all.nextCursor).toBeNull();
    expect(all.data).toEqual(rows);

    const sum = (pick: (m: CallQualityMetrics) => number) => rows.reduce((total, r) => total + pick(r.metrics), 0);
    const summary = (await getJson<Summary>(`/v1/analytics/summary?${day}`)).metrics;
    expect(sum((m) => m.samples)).toBe(summary.samples);
    expect(sum((m) => m.connections.attempts)).toBe(summary.connections.attempts);
    expect(sum((m) => m.packetLoss.packetsLost)).toBe(summary.packetLoss.packetsLost);
    expect(sum((m) => m.participantSeconds)).toBe(summary.participantSeconds);
    expect(sum((m) => m.callDuration.sessions)).toBe(summary.callDuration.sessions);
  });

  it("gives each row its own exact figures", async () => {
    const page = await getJson<HourlyPage>(`/v1/analytics/hourly?${day}&meetingId=${m1}`);
    const row = (hour: string, region: string) =>
      page.data.find((r) => r.hour === `2025-06-10T${hour}:00:00.000Z` && r.region === region)!.metrics;
    expect(page.data).toHaveLength(3);
    expect(row("09", "eu-west")).toMatchObject({
      samples: 4,
      joinTime: { timings: 2, meanMs: 500, p50Ms: 500 },
      connections: { attempts: 3, joined: 2 },
      callDuration: { sessions: 1, meanSessionSeconds: 1800, meetings: 1, meanMeetingSeconds: 1800 },
      participantSeconds: 1800,
      activeUsers: 2,
      samplesDropped: 3,
    });
    // Only the first half hour of bob's session, which ended in the next hour.
    expect(row("09", "eu-west").joinTime.p95Ms).toBeCloseTo(590, 9);
    expect(row("09", "us-east")).toMatchObject({
      samples: 0,
      participantSeconds: 1800,
      callDuration: { sessions: 0, meanSessionSeconds: null, meetings: 0, meanMeetingSeconds: null },
      mos: { mean: null },
      drops: { count: 0, perParticipantHour: 0, perSession: null },
    });
    expect(row("10", "us-east")).toMatchObject({
      samples: 2,
      participantSeconds: 900 + 2400 + 1800,
      callDuration: { sessions: 3, meanSessionSeconds: 2300, meetings: 1, meanMeetingSeconds: 4500 },
      activeUsers: 3,
      joinTime: { p50Ms: 1000 },
    });
    const eu = await getJson<HourlyPage>(`/v1/analytics/hourly?${day}&region=eu-west`);
    expect(eu.data.map((r) => [r.hour.slice(11, 13), r.meetingId])).toEqual([
      ["09", m1],
      ["10", m2],
    ]);
  });
});

describe("GET /v1/analytics/meetings/{id}", () => {
  it("gives the meeting's metrics overall, per region and per participant", async () => {
    const body = await getJson<MeetingAnalytics>(`/v1/analytics/meetings/${m1}`);
    // Created 08:00, ended 11:30: read from 08:00 to an hour after the end, rounded up.
    expect(body).toMatchObject({ meetingId: m1, from: "2025-06-10T08:00:00.000Z", to: "2025-06-10T13:00:00.000Z" });
    expect(body.metrics).toMatchObject({
      samples: 6,
      mos: { samples: 5, mean: 3.5 },
      rtt: { samples: 5, meanMs: 144 },
      jitter: { samples: 5, meanMs: 14 },
      packetLoss: { packets: 1530, packetsLost: 70, rate: 70 / 1600 },
      connections: { attempts: 4, joined: 3, successRate: 0.75 },
      // 400, 600, 1000: p95 at rank 1.9 → 600 + 0.9 × 400.
      joinTime: { timings: 3, meanMs: 2000 / 3, p50Ms: 600 },
      drops: { count: 3, sessions: 4, perParticipantHour: 3 / (8700 / 3600), perSession: 0.75 },
      callDuration: { sessions: 4, meanSessionSeconds: 2175, meetings: 1, meanMeetingSeconds: 5700 },
      meetingMinutes: 145,
      activeUsers: 3,
      samplesDropped: 3,
    });
    expect(body.metrics.joinTime.p95Ms).toBeCloseTo(960, 9);
    expect(body.metrics.mos.distribution).toMatchObject(bands(1, 1, 1, 1, 1));
    expect(body.regions.map((r) => r.region)).toEqual(["eu-west", "us-east"]);
    expect(body.regions[0]!.metrics).toMatchObject({
      samples: 4,
      mos: { samples: 3, mean: 10.125 / 3 },
      packetLoss: { rate: 0.05 },
      joinTime: { p50Ms: 500 },
      callDuration: { sessions: 1, meanMeetingSeconds: 1800 },
      activeUsers: 2,
    });
    const regions = await getJson<Regions>(`/v1/analytics/regions?${day}`);
    // All of us-east is m1's.
    expect(body.regions[1]!.metrics).toEqual(regions.data[1]!.metrics);

    expect(body.participants).toEqual([
      {
        participant: "alice",
        samples: 3,
        mosMean: 12.25 / 3,
        worstQuality: "good",
        rttMeanMs: 220 / 3,
        jitterMeanMs: 20 / 3,
        packetLoss: 10 / 1300,
        drops: 1,
        sessions: 2,
        secondsInMeeting: 3600,
      },
      {
        participant: "bob",
        samples: 2,
        mosMean: 2,
        worstQuality: "lost",
        rttMeanMs: 300,
        jitterMeanMs: 30,
        packetLoss: 0.25,
        drops: 1,
        sessions: 1,
        secondsInMeeting: 2700,
      },
      {
        participant: "carol",
        samples: 1,
        mosMean: 3.25,
        worstQuality: "poor",
        rttMeanMs: 200,
        jitterMeanMs: 20,
        packetLoss: 0.1,
        drops: 1,
        sessions: 1,
        secondsInMeeting: 2400,
      },
    ]);
  });

  it("answers a meeting with no records with nulls, not zeros", async () => {
    const quiet = (await createMeeting(owner.apiKey, { title: "Quiet" })).id;
    const body = await getJson<MeetingAnalytics>(`/v1/analytics/meetings/${quiet}`);
    expect(body.regions).toEqual([]);
    expect(body.participants).toEqual([]);
    expect(body.metrics).toMatchObject({ samples: 0, mos: { mean: null }, connections: { successRate: null }, activeUsers: 0 });
  });
});

describe("another tenant's analytics", () => {
  it("are a 404 by meeting and absent from every listing, even filtered by the meeting's id", async () => {
    await expectProblem(await api(`/v1/analytics/meetings/${m1}`, { key: stranger.apiKey }), 404, "not_found");
    await expectProblem(await api(`/v1/analytics/summary?${day}&meetingId=${m1}`, { key: stranger.apiKey }), 404, "not_found");
    await expectProblem(await api(`/v1/analytics/hourly?${day}&meetingId=${m1}`, { key: stranger.apiKey }), 404, "not_found");
    // And the other way round.
    await expectProblem(await api(`/v1/analytics/meetings/${foreign}`, { key: owner.apiKey }), 404, "not_found");

    // The stranger sees its own meeting only, though it shares the owner's hours and region.
    const theirs = (await getJson<Summary>(`/v1/analytics/summary?${day}`, stranger.apiKey)).metrics;
    expect(theirs).toMatchObject({ samples: 1, activeUsers: 1, joinTime: { timings: 1, p50Ms: 5000 }, callDuration: { sessions: 1 } });
    const regions = await getJson<Regions>(`/v1/analytics/regions?${day}`, stranger.apiKey);
    expect(regions.data.map((r) => [r.region, r.metrics.samples])).toEqual([["eu-west", 1]]);
    const hourly = await getJson<HourlyPage>(`/v1/analytics/hourly?${day}`, stranger.apiKey);
    expect(hourly.data.map((r) => r.meetingId)).toEqual([foreign]);
    const theirMeeting = await getJson<MeetingAnalytics>(`/v1/analytics/meetings/${foreign}`, stranger.apiKey);
    expect(theirMeeting.participants.map((p) => p.participant)).toEqual(["mallory"]);
  });
});

describe("refusals", () => {
  const routes = [`/v1/analytics/summary?${day}`, `/v1/analytics/hourly?${day}`, `/v1/analytics/regions?${day}`];

  it("no key is 401, a wrong one too", async () => {
    for (const path of [...routes, `/v1/analytics/meetings/${m1}`]) {
      await expectProblem(await api(path), 401, "unauthorized");
      await expectProblem(await api(path, { key: "emk_not-a-real-key-at-all-0000000000000000000" }), 401, "invalid_api_key");
    }
  });

  it("a range that is empty, backwards, longer than 93 days or missing is a 400 naming the field", async () => {
    for (const route of ["summary", "hourly", "regions"]) {
      const same = await expectProblem(
        await api(`/v1/analytics/${route}?from=2025-06-10T00:00:00Z&to=2025-06-10T00:00:00Z`, { key: owner.apiKey }),
        400,
        "validation_failed",
      );
      expect(same.issues).toEqual([{ path: "to", message: "must be after from" }]);
      await expectProblem(
        await api(`/v1/analytics/${route}?from=2025-06-10T00:00:00Z&to=2025-06-09T00:00:00Z`, { key: owner.apiKey }),
        400,
        "validation_failed",
      );
      const long = await expectProblem(
        await api(`/v1/analytics/${route}?from=2025-01-01T00:00:00Z&to=2025-04-04T00:00:01Z`, { key: owner.apiKey }),
        400,
        "validation_failed",
      );
      expect(long.issues?.[0]?.path).toBe("to");
      const missing = await expectProblem(
        await api(`/v1/analytics/${route}?from=2025-06-10T00:00:00Z`, { key: owner.apiKey }),
        400,
        "validation_failed",
      );
      expect(missing.issues?.map((i) => i.path)).toEqual(["to"]);
      await expectProblem(
        await api(`/v1/analytics/${route}?from=yesterday&to=2025-06-10T00:00:00Z`, { key: owner.apiKey }),
        400,
        "validation_failed",
      );
    }
    // Exactly 93 days is allowed.
    await getJson<Summary>("/v1/analytics/summary?from=2025-01-01T00:00:00Z&to=2025-04-04T00:00:00Z");
  });

  it("a forged cursor, a bad limit, a malformed or unknown meeting id are refused", async () => {
    await expectProblem(await api(`/v1/analytics/hourly?${day}&cursor=bm90LWEtY3Vyc29y`, { key: owner.apiKey }), 400, "validation_failed");
    await expectProblem(await api(`/v1/analytics/hourly?${day}&limit=0`, { key: owner.apiKey }), 400, "validation_failed");
    await expectProblem(await api(`/v1/analytics/hourly?${day}&limit=101`, { key: owner.apiKey }), 400, "validation_failed");
    await expectProblem(await api(`/v1/analytics/summary?${day}&meetingId=not-a-uuid`, { key: owner.apiKey }), 400, "validation_failed");
    // Text Postgres refuses is refused here, not by the query (a 500): a NUL region, or one inside a forged cursor.
    await expectProblem(await api(`/v1/analytics/summary?${day}&region=eu%00`, { key: owner.apiKey }), 400, "validation_failed");
    const nulCursor = btoa(`2025-06-10T09:00:00.000Z|${m1}|eu%00`).replace(/=+$/, "");
    await expectProblem(await api(`/v1/analytics/hourly?${day}&cursor=${nulCursor}`, { key: owner.apiKey }), 400, "validation_failed");
    await expectProblem(await api("/v1/analytics/meetings/not-a-uuid", { key: owner.apiKey }), 400, "validation_failed");
    await expectProblem(await api(`/v1/analytics/meetings/${crypto.randomUUID()}`, { key: owner.apiKey }), 404, "not_found");
    await expectProblem(
      await api(`/v1/analytics/summary?${day}&meetingId=${crypto.randomUUID()}`, { key: owner.apiKey }),
      404,
      "not_found",
    );
  });
});

describe("the OpenAPI document", () => {
  it("lists the analytics routes, behind the API key, with each metric's definition", async () => {
    const doc = (await (await api("/v1/openapi.json")).json()) as {
      paths: Record<string, { get?: { security?: unknown[] } }>;
      components: { schemas: Record<string, { properties: Record<string, { properties?: Record<string, { description?: string }> }> }> };
    };
    for (const path of ["/v1/analytics/summary", "/v1/analytics/hourly", "/v1/analytics/regions", "/v1/analytics/meetings/{id}"]) {
      expect(doc.paths[path]?.get?.security).toEqual([{ apiKey: [] }]);
    }
    const metrics = doc.components.schemas.CallQualityMetrics!.properties;
    expect(metrics.connections?.properties?.successRate?.description).toMatch(/joined \/ attempts/);
    expect(metrics.packetLoss?.properties?.rate?.description).toMatch(/lost \/ \(packets \+ lost\)/);
    expect(metrics.joinTime?.properties?.p95Ms?.description).toMatch(/percentile/);
  });
});
