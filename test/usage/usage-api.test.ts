import { and, eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { usagePeriods, usagePrices, webhookEvents } from "../../schema/index.ts";
import { writeUsage, writeUsageBatch } from "../../workers/usage/usage-writer.ts";
import { api, createMeeting, expectProblem, newTenant, withDatabase } from "../support/stack.ts";
import { usageRowsOf } from "./usage-facts.ts";

// The usage API over facts written by the product's one writer: listing, series, pricing, CSV, the period close
// and its webhook event, what another tenant can see, and what bad input gets.

type Tenant = { apiKey: string; tenantId: string };
let owner: Tenant;
let stranger: Tenant;
let meetingId: string;

/** June 2025 (long over, so it can be closed): three SFU sessions and a p2p stretch, written as the room would. */
const june = [
  { kind: "sfu_participant_seconds", start: "2025-06-10T10:00:00.000Z", end: "2025-06-10T10:00:10.000Z", sourceId: "livekit:RM_j:PA_1" },
  { kind: "sfu_participant_seconds", start: "2025-06-10T10:00:00.000Z", end: "2025-06-10T10:01:10.000Z", sourceId: "livekit:RM_j:PA_2" },
  { kind: "sfu_participant_seconds", start: "2025-06-12T08:00:00.000Z", end: "2025-06-12T08:00:00.250Z", sourceId: "livekit:RM_j:PA_3" },
  { kind: "p2p_participant_seconds", start: "2025-06-12T09:00:00.000Z", end: "2025-06-12T09:30:00.500Z", sourceId: "room:p2p:x:ana:1" },
] as const;

const writeFact = (tenantId: string, fact: { kind: string; start: string; end: string; sourceId: string }, meeting = meetingId) =>
  withDatabase((db) =>
    writeUsage(
      db,
      { tenantId, meetingId: meeting },
      { kind: fact.kind as "sfu_participant_seconds", quantity: 0, sourceId: fact.sourceId, periodStart: fact.start, periodEnd: fact.end },
      "room",
    ),
  );

const juneRange = "from=2025-06-01T00:00:00Z&to=2025-07-01T00:00:00Z";

beforeAll(async () => {
  owner = await newTenant("usage-api");
  stranger = await newTenant("usage-api-stranger");
  meetingId = (await createMeeting(owner.apiKey, { title: "Billed" })).id;
  for (const fact of june) await writeFact(owner.tenantId, fact);
  // The owner's price table: SFU at 1 cent a minute, whole minutes per record, one minute free; p2p by the second.
  await withDatabase((db) =>
    db.insert(usagePrices).values([
      {
        tenantId: owner.tenantId,
        meter: "sfu_participant_seconds",
        priceMicros: 1_000_000,
        freeAllowance: 60_000,
        rounding: "ceil_minute",
      },
      { tenantId: owner.tenantId, meter: "p2p_participant_seconds", priceMicros: 100_000, freeAllowance: 0, rounding: "ceil_second" },
    ]),
  );
});

describe("usage records and series", () => {
  it("lists every fact behind the numbers, page by page, and the series sums them", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const response = await api(`/v1/usage/records?${juneRange}&limit=2${cursor ? `&cursor=${cursor}` : ""}`, { key: owner.apiKey });
      expect(response.status).toBe(200);
      const page = (await response.json()) as { data: { sourceId: string; quantity: number; unit: string }[]; nextCursor: string | null };
      seen.push(...page.data.map((r) => r.sourceId));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(june.map((f) => f.sourceId));

    const series = await api(`/v1/usage?${juneRange}&granularity=day`, { key: owner.apiKey });
    const body = (await series.json()) as {
      data: { bucketStart: string; meter: string; quantity: number }[];
      totals: { meter: string; quantity: number }[];
    };
    const ms = (f: (typeof june)[number]) => Date.parse(f.end) - Date.parse(f.start);
    const expected = (kind: string) => june.filter((f) => f.kind === kind).reduce((sum, f) => sum + ms(f), 0);
    expect(body.totals.find((t) => t.meter === "sfu_participant_seconds")?.quantity).toBe(expected("sfu_participant_seconds"));
    expect(body.totals.find((t) => t.meter === "p2p_participant_seconds")?.quantity).toBe(expected("p2p_participant_seconds"));
    expect(body.data.filter((d) => d.meter === "sfu_participant_seconds").map((d) => [d.bucketStart, d.quantity])).toEqual([
      ["2025-06-10T00:00:00.000Z", 80_000],
      ["2025-06-12T00:00:00.000Z", 250],
    ]);
    // The same for the meeting alone (read from its records, not the rollup).
    const forMeeting = await api(`/v1/usage?${juneRange}&granularity=hour&meeting=${meetingId}`, { key: owner.apiKey });
    expect(((await forMeeting.json()) as typeof body).totals).toEqual(body.totals);
  });

  it("exports the same records as CSV", async () => {
    const response = await api(`/v1/usage/records.csv?${juneRange}`, { key: owner.apiKey });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/csv/);
    const lines = (await response.text()).trimEnd().split("\r\n");
    expect(lines[0]).toBe("id,meter,unit,quantity,meeting_id,source,source_id,period_start,period_end,adjustment_of,recorded_at");
    expect(lines.slice(1).map((l) => l.split(",")[6])).toEqual(june.map((f) => f.sourceId));
  });

  it("prices an open month from the tenant's table: per-record rounding, free allowance, integer minor units", async () => {
    const response = await api("/v1/usage/prices", { key: owner.apiKey });
    const prices = (await response.json()) as { data: { meter: string; rounding: string; source: string }[] };
    expect(prices.data.find((p) => p.meter === "sfu_participant_seconds")).toMatchObject({ rounding: "ceil_minute", source: "tenant" });
    expect(prices.data.find((p) => p.meter === "recording_seconds")).toMatchObject({ source: "default" });

    const preview = await api("/v1/usage/invoice-preview?period=2025-06", { key: owner.apiKey });
    const invoice = (await preview.json()) as {
      status: string;
      lines: { meter: string; billedQuantity: number; amountMinor: number }[];
      totalMinor: number;
    };
    expect(invoice.status).toBe("open");
    // Independently: SFU 10 s → 1 min, 70 s → 2 min, 0.25 s → 1 min: 4 min, one free, 3 × 1 cent.
    expect(invoice.lines.find((l) => l.meter === "sfu_participant_seconds")).toMatchObject({ billedQuantity: 240_000, amountMinor: 3 });
    // p2p 1800.5 s → 1801 s at 0.1 cent a minute = 3.0016… → 3.
    expect(invoice.lines.find((l) => l.meter === "p2p_participant_seconds")).toMatchObject({ billedQuantity: 1_801_000, amountMinor: 3 });
    expect(invoice.totalMinor).toBe(6);
  });
});

describe("CSV export across pages", () => {
  it("streams every record of a range larger than one page, once each", async () => {
    const bulk = await newTenant("usage-api-csv");
    const bulkMeeting = (await createMeeting(bulk.apiKey, { title: "Many" })).id;
    const facts = Array.from({ length: 4_321 }, (_, i) => ({
      owner: { tenantId: bulk.tenantId, meetingId: bulkMeeting },
      entry: {
        kind: "p2p_participant_seconds" as const,
        quantity: 0,
        sourceId: `room:p2p:bulk:${i}`,
        periodStart: new Date(Date.UTC(2025, 6, 1) + i * 1_000).toISOString(),
        // Many records share an end time: the keyset pages on (period_end, id), so none is skipped or repeated.
        periodEnd: new Date(Date.UTC(2025, 6, 2) + Math.floor(i / 7) * 1_000).toISOString(),
      },
    }));
    await withDatabase((db) => writeUsageBatch(db, facts, "room"));
    const response = await api("/v1/usage/records.csv?from=2025-07-01T00:00:00Z&to=2025-08-01T00:00:00Z", { key: bulk.apiKey });
    expect(response.status).toBe(200);
    const rows = (await response.text()).trimEnd().split("\r\n").slice(1);
    const ids = rows.map((row) => row.split(",")[6]);
    expect(ids.length).toBe(facts.length);
    expect(new Set(ids)).toEqual(new Set(facts.map((f) => f.entry.sourceId)));
  }, 30_000);
});

describe("period close", () => {
  it("freezes the month, records usage.period_closed with it, and sends later facts to an adjustment", async () => {
    const closed = await api("/v1/usage/periods/2025-06/close", { key: owner.apiKey, method: "POST" });
    expect(closed.status).toBe(201);
    const frozen = (await closed.json()) as { totalMinor: number; closedAt: string };
    expect(frozen.totalMinor).toBe(6);

    const events = await withDatabase((db) =>
      db
        .select()
        .from(webhookEvents)
        .where(and(eq(webhookEvents.tenantId, owner.tenantId), eq(webhookEvents.type, "usage.period_closed"))),
    );
    expect(events).toHaveLength(1);
    expect(events[0]!.payload).toMatchObject({
      type: "usage.period_closed",
      meetingId: null,
      data: { periodStart: "2025-06-01T00:00:00.000Z", periodEnd: "2025-07-01T00:00:00.000Z", totalMinor: 6, currency: "USD" },
    });

    // A fact for June arrives late, and a duplicate of a frozen one: the frozen numbers stay, the late one is an adjustment.
    await writeFact(owner.tenantId, {
      kind: "sfu_participant_seconds",
      start: "2025-06-30T23:00:00.000Z",
      end: "2025-06-30T23:02:00.000Z",
      sourceId: "livekit:RM_j:PA_late",
    });
    await writeFact(owner.tenantId, june[0]);
    const late = (await usageRowsOf(owner.tenantId, meetingId)).filter((r) => r.adjustmentOf !== null);
    expect(late.map((r) => [r.sourceId, r.adjustmentOf])).toEqual([["livekit:RM_j:PA_late", "2025-06"]]);

    const preview = await api("/v1/usage/invoice-preview?period=2025-06", { key: owner.apiKey });
    const invoice = (await preview.json()) as {
      status: string;
      totalMinor: number;
      closedAt: string;
      adjustments: { totalMinor: number; lines: { meter: string; amountMinor: number }[] };
    };
    expect(invoice).toMatchObject({ status: "closed", totalMinor: 6, closedAt: frozen.closedAt });
    expect(invoice.adjustments.lines).toEqual([
      { meter: "sfu_participant_seconds", records: 1, quantity: 120_000, billedQuantity: 120_000, amountMinor: 2 },
    ]);

    // Closing again changes nothing and records no second event.
    const again = await api("/v1/usage/periods/2025-06/close", { key: owner.apiKey, method: "POST" });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ totalMinor: 6, closedAt: frozen.closedAt });
    const count = await withDatabase((db) =>
      db.$count(webhookEvents, and(eq(webhookEvents.tenantId, owner.tenantId), eq(webhookEvents.type, "usage.period_closed"))),
    );
    expect(count).toBe(1);
  });
});

describe("tenant scoping", () => {
  it("another tenant sees none of the owner's usage and gets 404 for the owner's meeting", async () => {
    const list = await api(`/v1/usage/records?${juneRange}`, { key: stranger.apiKey });
    expect(await list.json()).toEqual({ data: [], nextCursor: null });
    for (const path of [
      `/v1/usage/records?${juneRange}&meeting=${meetingId}`,
      `/v1/usage?${juneRange}&meeting=${meetingId}`,
      `/v1/usage/records.csv?${juneRange}&meeting=${meetingId}`,
    ]) {
      await expectProblem(await api(path, { key: stranger.apiKey }), 404, "not_found");
    }
    const series = (await (await api(`/v1/usage?${juneRange}`, { key: stranger.apiKey })).json()) as { totals: unknown[] };
    expect(series.totals).toEqual([]);
    const invoice = (await (await api("/v1/usage/invoice-preview?period=2025-06", { key: stranger.apiKey })).json()) as {
      status: string;
      totalMinor: number;
    };
    expect(invoice).toMatchObject({ status: "open", totalMinor: 0 });
    // The owner's price overrides are the owner's: the stranger is on the defaults.
    const prices = (await (await api("/v1/usage/prices", { key: stranger.apiKey })).json()) as { data: { source: string }[] };
    expect(prices.data.every((p) => p.source === "default")).toBe(true);
    await expectProblem(await api(`/v1/usage?${juneRange}`), 401, "unauthorized");
  });
});

describe("bad input", () => {
  it("refuses bad queries and periods with problem+json, and writes nothing", async () => {
    const before = (await usageRowsOf(stranger.tenantId)).length;
    const bad = [
      "/v1/usage/records?from=yesterday&to=2025-07-01T00:00:00Z",
      "/v1/usage/records?from=2025-07-01T00:00:00Z&to=2025-06-01T00:00:00Z",
      `/v1/usage/records?${juneRange}&limit=0`,
      `/v1/usage/records?${juneRange}&limit=5000`,
      `/v1/usage/records?${juneRange}&meter=bitcoin`,
      `/v1/usage/records?${juneRange}&meeting=not-a-uuid`,
      `/v1/usage/records?${juneRange}&cursor=%00%01`,
      "/v1/usage/records?from=2020-01-01T00:00:00Z&to=2025-07-01T00:00:00Z",
      `/v1/usage?${juneRange}&granularity=week`,
      "/v1/usage?from=2025-06-01T00:00:00Z&to=2025-08-01T00:00:00Z&granularity=hour",
      "/v1/usage",
      "/v1/usage/invoice-preview?period=2025-13",
      "/v1/usage/invoice-preview?period=1999-12",
      `/v1/usage/records.csv?from=x&to=y`,
    ];
    for (const path of bad) await expectProblem(await api(path, { key: stranger.apiKey }), 400, "validation_failed");
    await expectProblem(await api("/v1/usage/periods/2025-13/close", { key: stranger.apiKey, method: "POST" }), 400, "validation_failed");
    await expectProblem(await api("/v1/usage/periods/june/close", { key: stranger.apiKey, method: "POST" }), 400, "validation_failed");
    const thisMonth = new Date().toISOString().slice(0, 7);
    await expectProblem(
      await api(`/v1/usage/periods/${thisMonth}/close`, { key: stranger.apiKey, method: "POST" }),
      409,
      "usage_period_open",
    );
    expect((await usageRowsOf(stranger.tenantId)).length).toBe(before);
    const periods = await withDatabase((db) => db.$count(usagePeriods, eq(usagePeriods.tenantId, stranger.tenantId)));
    expect(periods).toBe(0);
  });
});
