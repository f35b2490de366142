import { type SQL, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import type { MeetingId, TenantId } from "../../protocol/ids.ts";
import { hourlyPageStatement, scopeMetricsStatement } from "../../workers/analytics/analytics-repository.ts";
import { participantsStatement } from "../../workers/analytics/meeting-analytics-repository.ts";
import { withDatabase } from "../support/stack.ts";
import { ingest } from "./analytics-fixtures.ts";

// Every analytics read filters each table on its partition column with the range's bounds, so Postgres plans only
// the range's day partitions: read from the plans of the API's own statements, with the days around them existing.

const tenantId = crypto.randomUUID() as TenantId;
const meetingId = crypto.randomUUID() as MeetingId;
const tables = ["analytics_hourly", "analytics_events", "analytics_sessions", "analytics_active_participants", "analytics_samples"];

beforeAll(async () => {
  // The function makes the partitions of every day a batch touches: a session over 1–3 July reported on the 4th.
  await ingest({
    tenantId,
    meetingId,
    region: "eu",
    createdAt: "2025-07-04T00:10:00Z",
    sessions: [{ participant: "ada", joinedAt: "2025-07-01T00:00:00Z", leftAt: "2025-07-04T00:00:00Z" }],
  });
});

/** The analytics relations a statement's plan reads. */
async function plannedRelations(statement: SQL): Promise<string[]> {
  const result = await withDatabase((db) => db.execute(sql`explain (format json) ${statement}`));
  const plan = (result.rows[0] as Record<string, unknown>)["QUERY PLAN"];
  const names = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === "object") {
      for (const [key, value] of Object.entries(node)) {
        if (key === "Relation Name" && typeof value === "string" && value.startsWith("analytics_")) names.add(value);
        else walk(value);
      }
    }
  };
  walk(plan);
  return [...names].sort();
}

const partitionsOf = (days: string[], only = tables) => only.flatMap((t) => days.map((d) => `${t}_p${d.replaceAll("-", "")}`)).sort();

describe("analytics reads are pruned to the range's day partitions", () => {
  const oneDay = { from: new Date("2025-07-02T00:00:00Z"), to: new Date("2025-07-03T00:00:00Z") };
  const readByScope = tables.filter((t) => t !== "analytics_samples");

  it("the summary, regions and a meeting's totals read that day's partitions and no other", async () => {
    for (const grouping of ["total", "region", "total_and_region"] as const) {
      expect(await plannedRelations(scopeMetricsStatement({ tenantId, range: oneDay }, grouping))).toEqual(
        partitionsOf(["2025-07-02"], readByScope),
      );
    }
    const hours = { from: new Date("2025-07-02T10:00:00Z"), to: new Date("2025-07-03T02:00:00Z") };
    expect(await plannedRelations(scopeMetricsStatement({ tenantId, range: hours, meetingId, region: "eu" }, "total"))).toEqual(
      partitionsOf(["2025-07-02", "2025-07-03"], readByScope),
    );
  });

  it("the hourly page, its per-row lookups included", async () => {
    expect(await plannedRelations(hourlyPageStatement({ tenantId, range: oneDay }, { limit: 26 }))).toEqual(
      partitionsOf(["2025-07-02"], readByScope),
    );
    const after = { hour: new Date("2025-07-02T05:00:00Z"), meetingId, region: "eu" };
    expect(await plannedRelations(hourlyPageStatement({ tenantId, range: oneDay, meetingId }, { limit: 26, after }))).toEqual(
      partitionsOf(["2025-07-02"], readByScope),
    );
  });

  it("a meeting's participants", async () => {
    expect(await plannedRelations(participantsStatement(tenantId, meetingId, oneDay))).toEqual(
      partitionsOf(
        ["2025-07-02"],
        tables.filter((t) => t !== "analytics_hourly"),
      ),
    );
  });
});
