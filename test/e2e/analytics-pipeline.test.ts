import fs from "node:fs/promises";
import { dispose } from "@livekit/rtc-node";
import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServerFrame } from "../../protocol/server-frames.ts";
import type { z } from "zod";
import type { AnalyticsSummarySchema, MeetingAnalyticsSchema } from "../../workers/api/schemas/analytics.ts";
import { ingestionHarness } from "../support/analytics-ingest.ts";
import { LiveKitBot } from "../support/livekit-bot.ts";
import { poll } from "../support/poll.ts";
import { RoomClient } from "../support/room-client.ts";
import { api, mintToken, newTenant, workerUrl } from "../support/stack.ts";
import { launchChromium, MeetingPage } from "./browser.ts";

// Issue 12, end to end: a real meeting produces quality samples that reach the rollups in Postgres and Parquet in
// S3, and an independent reader (DuckDB over the downloaded objects) agrees with the rollups.
//
// Design: the SFU threshold is the Worker's SFU_SWITCH_THRESHOLD (5 locally), not a meeting setting, so the
// meeting gets there the way sfu-switch-browser.test.ts does. Two tabs start a P2P call and sample it; then a
// bot and two seat-fillers join over their meeting sockets, the fifth moves everyone to the SFU. The bot takes
// its `sfu_join` to LiveKit (rtc-node: publishes a small camera and a microphone, samples like the page, sends
// over its socket); the fillers never take media, they only make up the five (they are real participants to the
// room: sessions, no samples). So the tabs sample both paths and the bot samples the SFU, in one meeting, with a
// single rtc-node peer besides the two tabs on this 2-core machine.

const stepMs = 12_000;
const testTimeout = 120_000;
const sampleEveryMs = 1000;
/** How long everyone samples once the meeting is on the SFU and media flows. */
const sampleForMs = 8_000;
/** Leave → the room's queue empty and the function's rows in (batches close every 2 s locally, and on empty). */
const drainMs = 30_000;
const botId = "bot-sampler";
const fillerIds = ["seat-1", "seat-2"];
type SfuJoin = Extract<ServerFrame, { type: "sfu_join" }>;

let browser: Browser;
let context: BrowserContext | undefined;
let tenant: Awaited<ReturnType<typeof newTenant>>;
let h: Awaited<ReturnType<typeof ingestionHarness>>;
let meetingId: string | undefined;
let dir: string | undefined;
const pages: MeetingPage[] = [];
const clients: RoomClient[] = [];
const bots: LiveKitBot[] = [];

beforeAll(async () => {
  [browser, tenant, h] = await Promise.all([launchChromium(), newTenant("analytics-pipeline"), ingestionHarness()]);
});

afterAll(async () => {
  await Promise.allSettled(pages.map((page) => page.leave(5_000)));
  await context?.close();
  await browser?.close();
  for (const bot of bots) await bot.disconnect().catch(() => undefined);
  for (const client of clients) client.close();
  // Ending the meeting closes its LiveKit room too (a no-op once it ended by itself).
  if (meetingId) await api(`/v1/meetings/${meetingId}/end`, { method: "POST", key: tenant.apiKey }).catch(() => undefined);
  await dispose();
  await h?.close();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// The API's answers as its schemas describe them (types only: the schemas need the Worker's zod-openapi setup).
type MeetingAnalytics = z.infer<typeof MeetingAnalyticsSchema>;
type AnalyticsSummary = z.infer<typeof AnalyticsSummarySchema>;

async function getJson<T>(path: string): Promise<T> {
  const response = await api(path, { key: tenant.apiKey });
  const body = await response.text();
  expect(response.status, `${path}: ${body}`).toBe(200);
  return JSON.parse(body) as T;
}

interface SampleRow {
  sample_id: string;
  participant: string;
  path: string;
  candidate_type: string | null;
  sfu_quality: string | null;
  rtt_ms: number | null;
  packets: number;
  tracks: number;
}
interface EventRow {
  participant: string;
  kind: string;
  path: string;
  outcome: string | null;
  first_media_ms: number | null;
}
interface BatchRow {
  samples: number;
  sessions: number;
  rejected: number;
  dropped_samples: number;
  objects: string[];
}
/** The hourly rollup summed over the tenant's rows (sums of nothing are null; bigint sums as text). */
interface Rollup {
  samples: number;
  mos_samples: number;
  mos_sum: number;
  rtt_samples: number;
  rtt_sum: number;
  jitter_samples: number;
  jitter_sum: number;
  packets: string;
  lost: string;
  attempts: number;
  joined: number;
  join_timings: number;
  sessions: number;
  drops: number;
  dropped: number;
  regions: string[];
}

/** The function's rows for this tenant (a fresh one: only this meeting), as the checks need them. */
async function stored(tenantId: string) {
  const rows = async <T>(sql: string) => (await h.pool.query(sql, [tenantId])).rows as T[];
  const [rollup] = await rows<Rollup>(`SELECT count(*)::int AS rows, coalesce(sum(samples), 0)::int AS samples,
      coalesce(sum(mos_samples), 0)::int AS mos_samples, sum(mos_sum) AS mos_sum,
      coalesce(sum(rtt_samples), 0)::int AS rtt_samples, sum(rtt_sum_ms) AS rtt_sum,
      coalesce(sum(jitter_samples), 0)::int AS jitter_samples, sum(jitter_sum_ms) AS jitter_sum,
      sum(packets)::bigint::text AS packets, sum(packets_lost)::bigint::text AS lost,
      coalesce(sum(connection_attempts), 0)::int AS attempts, coalesce(sum(connections_joined), 0)::int AS joined,
      coalesce(sum(join_timings), 0)::int AS join_timings, coalesce(sum(sessions), 0)::int AS sessions,
      coalesce(sum(drops), 0)::int AS drops, coalesce(sum(samples_dropped), 0)::int AS dropped,
      array_agg(DISTINCT region) AS regions
    FROM analytics_hourly WHERE tenant_id = $1`);
  return {
    rollup: rollup!,
    samples: await rows<SampleRow>(`SELECT sample_id::text, participant, path, candidate_type, sfu_quality, mos, rtt_ms, jitter_ms,
        packets::int, packets_lost::int, tracks, region FROM analytics_samples WHERE tenant_id = $1 ORDER BY received_at`),
    events: await rows<EventRow>(
      `SELECT participant, kind, path, outcome, cause, first_media_ms, total_ms FROM analytics_events WHERE tenant_id = $1`,
    ),
    sessions: await rows<{
      participant: string;
      seconds: number;
    }>(`SELECT participant, extract(epoch FROM left_at - joined_at)::float8 AS seconds FROM analytics_sessions
        WHERE tenant_id = $1 ORDER BY participant`),
    batches:
      await rows<BatchRow>(`SELECT batch_id::text, samples, events, sessions, rejected, dropped_samples, objects FROM analytics_batches
        WHERE tenant_id = $1`),
  };
}

describe("analytics end to end: a real meeting → the ingestion function → Postgres rollups and Parquet in S3", () => {
  it("two tabs and a rtc-node bot sample a call; DuckDB reading the Parquet agrees with the rollups and the API", {
    timeout: testTimeout,
  }, async ({ annotate }) => {
    const started = performance.now();
    const at = (since = started) => `${((performance.now() - since) / 1000).toFixed(1)} s`;
    const timings: string[] = [];

    // 1. Two tabs in a P2P call, sampling every second.
    context = await browser.newContext();
    const [host, guest] = [new MeetingPage(await context.newPage()), new MeetingPage(await context.newPage())];
    pages.push(host, guest);
    const link = await host.host(`${workerUrl}/?sampleMs=${sampleEveryMs}`, tenant.apiKey, "Ada Host", stepMs);
    meetingId = new URL(link).hash.replace("#meeting=", "");
    await guest.join(link, "Bob Guest", stepMs);
    const [hostId, guestId] = [(await host.state()).identity!, (await guest.state()).identity!];
    await Promise.all([host.waitForPeer(guestId, stepMs), guest.waitForPeer(hostId, stepMs)]);
    // Each tab has sampled the P2P call with media in it before anyone else comes.
    const sampledP2p = (page: MeetingPage) =>
      page.sentOfType("quality_sample").some((f) => f.path === "p2p" && Array.isArray(f.tracks) && f.tracks.some((t) => t.packets > 0));
    await expect.poll(() => sampledP2p(host) && sampledP2p(guest), { timeout: stepMs, interval: 250 }).toBe(true);
    timings.push(`tabs sampling their P2P call: ${at()}`);

    // 2. The bot and the fillers: the fifth member moves the meeting to the SFU; the bot takes its credentials there.
    const join = async (identity: string) =>
      RoomClient.join((await mintToken(tenant.apiKey, meetingId!, { identity, name: identity, role: "participant" })).connectUrl);
    const botClient = await join(botId);
    clients.push(botClient);
    for (const identity of fillerIds) clients.push(await join(identity));
    const switchAt = performance.now();
    const sfuJoin = await botClient.next<SfuJoin>((frame) => frame.type === "sfu_join", stepMs);
    const bot = await LiveKitBot.connect(sfuJoin.url, sfuJoin.token, { timeoutMs: stepMs });
    bots.push(bot);
    await Promise.all([bot.publishAudio(), bot.publishVideo({ width: 160, height: 120, fps: 15 })]);
    // What the bot's socket actually carried (its outbox paces samples and keeps only the newest).
    const botSent: string[] = [];
    bot.reportQuality(
      (frame) => {
        const id = botClient.send(frame);
        if (frame.type === "quality_sample") botSent.push(frame.sampleId);
        return id;
      },
      { intervalMs: sampleEveryMs },
    );

    const onSfu = async () =>
      (await Promise.all([host.state(), guest.state()])).every((s) => s.mediaMode === "sfu" && s.sfu.status === "connected");
    await expect.poll(onSfu, { timeout: 25_000, interval: 250 }).toBe(true);
    const flowing = () => {
      const last = bot.qualitySamples.at(-1);
      const carried = (direction: string, kind: string) =>
        last?.tracks.some((t) => t.direction === direction && t.kind === kind && t.packets > 0);
      return last?.sfuQuality !== undefined && ["audio", "video"].every((kind) => carried("inbound", kind) && carried("outbound", kind));
    };
    await bot.waitUntil(flowing, 25_000, "a sample with media both ways and LiveKit's rating");
    timings.push(`5th join → tabs on the SFU and the bot's media flowing: ${at(switchAt)}`);

    // 3. Everyone samples for a while, then leaves; the last leave empties the meeting and closes the room's batch.
    await sleep(sampleForMs);
    await bot.disconnect();
    botClient.close();
    for (const client of clients.slice(1)) client.close();
    await Promise.all([host.leave(stepMs), guest.leave(stepMs)]);
    const leftAt = performance.now();
    for (const client of clients) expect(client.ofType("error"), "the room refused a frame").toEqual([]);
    expect([...host.pageErrors, ...guest.pageErrors]).toEqual([]);

    const sentBy = new Map<string, string[]>([
      [hostId, host.sentOfType("quality_sample").map((f) => String(f.sampleId))],
      [guestId, guest.sentOfType("quality_sample").map((f) => String(f.sampleId))],
      [botId, botSent],
    ]);
    const sentSamples = [...sentBy.values()].reduce((sum, ids) => sum + new Set(ids).size, 0);

    // 4. Drained: the room's queue is empty (the meeting route shows it live) and every record is in Postgres.
    const meetingPath = `/v1/analytics/meetings/${meetingId}`;
    const drained = await poll(
      async () => ({ meeting: await getJson<MeetingAnalytics>(meetingPath), rows: await stored(tenant.tenantId) }),
      ({ meeting: m, rows: r }) =>
        m.ingestion.openRecords === 0 && m.ingestion.queuedBatches === 0 && r.sessions.length === 5 && r.samples.length >= sentSamples,
      drainMs,
      500,
    );
    expect(drained.meeting.ingestion).toMatchObject({
      enabled: true,
      openRecords: 0,
      queuedBatches: 0,
      queuedSamples: 0,
      droppedSamples: 0,
      deadBatches: 0,
    });
    timings.push(`leave → drained and stored: ${at(leftAt)}`);
    const { rollup, samples, events, sessions, batches } = drained.rows;

    // 5. Every sample each participant's socket carried is stored, once; nobody else's.
    const storedBy = (who: string) => samples.filter((s) => s.participant === who).map((s) => s.sample_id);
    for (const [who, ids] of sentBy) {
      expect(ids.length, `${who} sent samples`).toBeGreaterThanOrEqual(4);
      expect(storedBy(who).sort(), `${who}'s samples in Postgres`).toEqual([...new Set(ids)].sort());
    }
    expect(samples).toHaveLength(sentSamples);
    expect(sessions.map((s) => s.participant).sort()).toEqual([botId, ...fillerIds, hostId, guestId].sort());
    for (const session of sessions) expect(session.seconds, `${session.participant}'s session`).toBeGreaterThan(0);

    // Postgres rows = the rollup = the batches' ledger.
    expect(rollup).toMatchObject({ samples: samples.length, sessions: 5, dropped: 0 });
    expect(batches.every((b) => b.rejected === 0 && b.dropped_samples === 0)).toBe(true);
    expect(batches.reduce((sum, b) => sum + b.samples, 0)).toBe(samples.length);
    expect(batches.reduce((sum, b) => sum + b.sessions, 0)).toBe(5);

    // 6. The tabs' samples are real measurements: media flowed, a round trip was measured, the candidate known;
    // they sampled the P2P call and then the SFU. The bot sampled only the SFU, with LiveKit's rating.
    for (const who of [hostId, guestId]) {
      const mine = samples.filter((s) => s.participant === who);
      const measured = mine.filter((s) => s.packets > 0 && s.rtt_ms !== null && s.candidate_type !== null && s.tracks > 0);
      expect(measured.length, `${who}: measured samples of ${JSON.stringify(mine)}`).toBeGreaterThanOrEqual(mine.length - 1);
      expect(new Set(mine.map((s) => s.path)), `${who}'s paths`).toEqual(new Set(["p2p", "sfu"]));
      expect(mine.filter((s) => s.path === "sfu").length, `${who}'s SFU samples`).toBeGreaterThanOrEqual(sampleForMs / sampleEveryMs / 2);
      // Loopback: round trips are small, though a loaded moment (the move to the SFU) may show a few hundred ms.
      const rtts = measured.map((s) => s.rtt_ms!).sort((a, b) => a - b);
      expect(rtts.at(-1), `${who}'s worst rtt`).toBeLessThan(1000);
      expect(rtts[Math.floor(rtts.length / 2)], `${who}'s median rtt`).toBeLessThan(100);
    }
    const botSamples = samples.filter((s) => s.participant === botId);
    expect(new Set(botSamples.map((s) => s.path))).toEqual(new Set(["sfu"]));
    // LiveKit rates a participant a few seconds after it joins; from its first rating on, every sample carries one.
    const rated = botSamples.slice(botSamples.findIndex((s) => s.sfu_quality !== null));
    expect(
      rated.map((s) => s.sfu_quality).filter((q) => q === null),
      `bot samples ${JSON.stringify(botSamples)}`,
    ).toEqual([]);
    expect(rated.length, "bot samples with LiveKit's rating").toBeGreaterThanOrEqual(sampleForMs / sampleEveryMs / 2);
    expect(botSamples.filter((s) => s.packets > 0 && s.rtt_ms !== null).length).toBeGreaterThanOrEqual(botSamples.length - 2);

    // 7. The tabs reported their join: timing with first media over the P2P call, and the outcome "joined".
    for (const who of [hostId, guestId]) {
      const mine = events.filter((e) => e.participant === who && e.kind !== "drop");
      expect(mine.map((e) => e.kind).sort(), `${who}'s events`).toEqual(["connection_outcome", "join_timing"]);
      expect(mine.find((e) => e.kind === "connection_outcome")).toMatchObject({ outcome: "joined", path: "p2p" });
      const timing = mine.find((e) => e.kind === "join_timing")!;
      expect(timing.path).toBe("p2p");
      expect(timing.first_media_ms, `${who}: first media`).toBeGreaterThan(0);
    }
    expect(events.filter((e) => e.participant === botId || fillerIds.includes(e.participant))).toEqual([]);
    expect(rollup).toMatchObject({ attempts: 2, joined: 2, join_timings: 2 });
    const drops = events.filter((e) => e.kind === "drop");
    expect(drops, "drops (a planned move to the SFU and a leave are not drops)").toEqual([]);

    // 8. The independent reader: DuckDB over the Parquet objects in S3 (one row per track per sample).
    const objects = await h.objectKeys(`samples/tenant=${tenant.tenantId}/`);
    expect(objects.sort()).toEqual(batches.flatMap((b) => b.objects).sort());
    for (const key of objects) {
      expect(key).toMatch(new RegExp(`^samples/tenant=${tenant.tenantId}/date=\\d{4}-\\d{2}-\\d{2}/hour=\\d{2}/[0-9a-f-]{36}\\.parquet$`));
    }
    dir = await h.download(objects);
    const files = h.parquet(dir);
    const [counts] = await h.query(`SELECT count(*) AS track_rows, count(DISTINCT sample_id) AS samples,
        bool_and(tenant::VARCHAR = tenant_id::VARCHAR AND meeting_id::VARCHAR = '${meetingId}') AS ours FROM ${files}`);
    const trackRows = samples.reduce((sum, s) => sum + Math.max(1, s.tracks), 0);
    expect(counts).toEqual({ track_rows: trackRows, samples: samples.length, ours: true });
    expect(counts!.samples).toBe(rollup.samples);
    const perParticipant = await h.query(
      `SELECT participant, count(DISTINCT sample_id) AS samples FROM ${files} GROUP BY ALL ORDER BY participant`,
    );
    expect(perParticipant).toEqual(
      [...sentBy]
        .map(([participant, ids]) => ({ participant, samples: new Set(ids).size }))
        .sort((a, b) => a.participant.localeCompare(b.participant)),
    );

    // Per sample as the summary row has it (worst of the tracks, sums of packets), then averages over samples.
    const [figures] = await h.query(`WITH per_sample AS (
        SELECT sample_id, any_value(mos) AS mos, max(rtt_ms) AS rtt, max(jitter_ms) AS jitter,
          coalesce(sum(packets), 0) AS packets, coalesce(sum(packets_lost), 0) AS lost
        FROM ${files} GROUP BY sample_id)
      SELECT avg(mos) AS mos, count(mos) AS mos_samples, avg(rtt) AS rtt, count(rtt) AS rtt_samples,
        avg(jitter) AS jitter, count(jitter) AS jitter_samples, sum(packets)::BIGINT AS packets, sum(lost)::BIGINT AS lost
      FROM per_sample`);
    const f = figures as {
      mos: number;
      mos_samples: number;
      rtt: number;
      rtt_samples: number;
      jitter: number;
      jitter_samples: number;
      packets: number;
      lost: number;
    };
    expect([f.mos_samples, f.rtt_samples, f.jitter_samples]).toEqual([rollup.mos_samples, rollup.rtt_samples, rollup.jitter_samples]);
    expect(f.mos_samples).toBeGreaterThan(0);
    expect(f.rtt_samples).toBeGreaterThan(0);
    expect(f.mos).toBeCloseTo(rollup.mos_sum / rollup.mos_samples, 9);
    expect(f.rtt).toBeCloseTo(rollup.rtt_sum / rollup.rtt_samples, 9);
    expect(f.jitter).toBeCloseTo(rollup.jitter_sum / rollup.jitter_samples, 9);
    expect([String(f.packets), String(f.lost)]).toEqual([rollup.packets, rollup.lost]);
    expect(Number(rollup.packets)).toBeGreaterThan(0);

    // 9. The API reads the same rollups: the meeting's page and the tenant's summary over the hours it ran.
    const m = drained.meeting;
    expect(m.metrics).toMatchObject({
      samples: samples.length,
      samplesDropped: 0,
      connections: { attempts: 2, joined: 2, successRate: 1 },
      joinTime: { timings: 2 },
      mos: { samples: rollup.mos_samples },
      rtt: { samples: rollup.rtt_samples },
      packetLoss: { packets: Number(rollup.packets), packetsLost: Number(rollup.lost) },
      drops: { count: 0, sessions: 5 },
      activeUsers: 5,
    });
    expect(m.metrics.joinTime.meanMs).toBeGreaterThan(0);
    expect(m.metrics.joinTime.p50Ms).toBeGreaterThan(0);
    expect(m.metrics.mos.mean).toBeCloseTo(f.mos, 9);
    expect(m.metrics.rtt.meanMs).toBeCloseTo(f.rtt, 9);
    expect(m.metrics.jitter.meanMs).toBeCloseTo(f.jitter, 9);
    expect(m.metrics.packetLoss.rate).toBeCloseTo(f.lost / (f.packets + f.lost), 12);
    const people = new Map(m.participants.map((p) => [p.participant, p]));
    expect([...people.keys()].sort()).toEqual([botId, ...fillerIds, hostId, guestId].sort());
    for (const [who, ids] of sentBy) {
      expect(people.get(who), `${who} in the meeting's participants`).toMatchObject({ samples: new Set(ids).size, sessions: 1, drops: 0 });
      expect(people.get(who)!.mosMean, `${who}'s MOS`).toBeGreaterThan(1);
      expect(people.get(who)!.rttMeanMs, `${who}'s RTT`).toBeTypeOf("number");
    }
    for (const who of fillerIds) expect(people.get(who)).toMatchObject({ samples: 0, mosMean: null, sessions: 1 });

    const hour = 3_600_000;
    const from = new Date(Math.floor((Date.now() - testTimeout) / hour) * hour).toISOString();
    const to = new Date(Math.ceil((Date.now() + 1) / hour) * hour).toISOString();
    const summary = await getJson<AnalyticsSummary>(`/v1/analytics/summary?from=${from}&to=${to}&meetingId=${meetingId}`);
    expect(summary.metrics).toMatchObject({
      samples: samples.length,
      connections: { successRate: 1 },
      joinTime: { timings: 2 },
      activeUsers: 5,
    });
    expect(summary.metrics.mos.mean).toBeCloseTo(f.mos, 9);

    const mean = (who: string) => people.get(who)!;
    const pathsOf = (who: string) =>
      ["p2p", "sfu"].map((path) => samples.filter((s) => s.participant === who && s.path === path).length).join("/");
    const report = [
      ...timings,
      `samples: ${[...sentBy].map(([who, ids]) => `${who} ${ids.length}`).join(", ")}; Parquet ${counts!.track_rows} track rows in ${objects.length} objects from ${batches.length} batches`,
      `regions: ${rollup.regions.join(", ")}; paths (p2p/sfu): ${[hostId, guestId, botId].map((w) => `${w} ${pathsOf(w)}`).join("; ")}`,
      `DuckDB = rollup: MOS ${f.mos.toFixed(3)} over ${f.mos_samples}, RTT ${f.rtt.toFixed(1)} ms over ${f.rtt_samples}, jitter ${f.jitter.toFixed(1)} ms, ${f.packets} packets, ${f.lost} lost`,
      ...[hostId, guestId, botId].map(
        (w) =>
          `${w}: MOS ${mean(w).mosMean?.toFixed(2)}, RTT ${mean(w).rttMeanMs?.toFixed(1)} ms, loss ${mean(w).packetLoss}, worst ${mean(w).worstQuality}`,
      ),
      `join time mean ${m.metrics.joinTime.meanMs?.toFixed(0)} ms; total ${at()}`,
    ].join("\n");
    console.log(`[analytics-pipeline]\n${report}`);
    await annotate(report);
  });
});
