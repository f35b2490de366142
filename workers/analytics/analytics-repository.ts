import { sql, type SQL } from "drizzle-orm";
import type { TenantId } from "../../protocol/ids.ts";
import type { QueryDatabase } from "../db/database.ts";
import { rowsOf } from "../db/result-rows.ts";
import type { AnalyticsRange } from "./core/analytics-range.ts";
import type { MetricInputs, RollupSums } from "./core/call-quality-metrics.ts";
import type { HourlyCursor } from "./hourly-cursor.ts";

/**
 * Analytics reads: one statement per answer, every table filtered on the tenant and on its partition column
 * (received_at, left_at, hour) with the range's bounds, so Postgres scans only the range's day partitions
 * (plan-time pruning for the bounds given as parameters, run-time pruning in the hourly listing's per-row lookups;
 * test/analytics/analytics-partition-pruning.test.ts reads the plans). The arithmetic is in core/.
 */

export interface AnalyticsScope {
  tenantId: TenantId;
  range: AnalyticsRange;
  meetingId?: string | undefined;
  region?: string | undefined;
}

/** `total`: one row (region null); `region`: a row per region; both: the total row first, then the regions. */
export type ScopeGrouping = "total" | "region" | "total_and_region";

export interface ScopeMetricInputs extends MetricInputs {
  /** null on the total row. */
  region: string | null;
}

export interface HourlyRow extends MetricInputs {
  hour: Date;
  meetingId: string;
  region: string;
}

/** analytics_hourly's sum and count columns, each read under its own name. */
const rollupColumns = [
  "samples",
  "mos_samples",
  "mos_sum",
  "mos_band_1",
  "mos_band_2",
  "mos_band_3",
  "mos_band_4",
  "mos_band_5",
  "rtt_samples",
  "rtt_sum_ms",
  "jitter_samples",
  "jitter_sum_ms",
  "packets",
  "packets_lost",
  "connection_attempts",
  "connections_joined",
  "join_timings",
  "join_ms_sum",
  "drops",
  "sessions",
  "participant_seconds",
  "samples_dropped",
] as const;

const columnList = (format: (column: string) => string) => sql.raw(rollupColumns.map(format).join(", "));
const summedRollup = columnList((c) => `sum(${c}) as ${c}`);
const rollupOf = (alias: string) => columnList((c) => `${alias}.${c}`);

/** The scope's conditions on one table: tenant, partition column within the range, and the optional filters. */
export function scopeConditions(scope: AnalyticsScope, timeColumn: string, alias: string): SQL {
  const column = (name: string) => sql.raw(`${alias}.${name}`);
  const conditions = [
    sql`${column("tenant_id")} = ${scope.tenantId}::uuid`,
    sql`${column(timeColumn)} >= ${scope.range.from.toISOString()}::timestamptz`,
    sql`${column(timeColumn)} < ${scope.range.to.toISOString()}::timestamptz`,
  ];
  if (scope.meetingId) conditions.push(sql`${column("meeting_id")} = ${scope.meetingId}::uuid`);
  if (scope.region) conditions.push(sql`${column("region")} = ${scope.region}`);
  return sql.join(conditions, sql` and `);
}

const joinPercentiles = sql`percentile_cont(0.5) within group (order by e.total_ms) as join_p50_ms,
  percentile_cont(0.95) within group (order by e.total_ms) as join_p95_ms`;

/** The region column and GROUP BY of a grouping; `inner` adds the columns grouped below it (the per-meeting step). */
function grouped(grouping: ScopeGrouping, alias: string, inner = ""): { region: SQL; groupBy: SQL } {
  const keys = inner ? `${inner}, ` : "";
  switch (grouping) {
    case "total":
      return { region: sql.raw("null::text as region"), groupBy: sql.raw(inner ? `group by ${inner}` : "") };
    case "region":
      return { region: sql.raw(`${alias}.region`), groupBy: sql.raw(`group by ${keys}${alias}.region`) };
    case "total_and_region":
      return {
        region: sql.raw(`${alias}.region`),
        groupBy: sql.raw(`group by grouping sets ((${inner}), (${keys}${alias}.region))`),
      };
    default:
      return grouping satisfies never;
  }
}

/** The statement behind the summary, the regions and a meeting's totals: one row per group of the scope. */
export function scopeMetricsStatement(scope: AnalyticsScope, grouping: ScopeGrouping): SQL {
  const g = (alias: string) => grouped(grouping, alias);
  const perMeeting = grouped(grouping, "s", "s.meeting_id");
  return sql`
    with h as (
      select ${g("h").region}, ${summedRollup}
      from analytics_hourly h where ${scopeConditions(scope, "hour", "h")} ${g("h").groupBy}
    ), j as (
      select ${g("e").region}, ${joinPercentiles}
      from analytics_events e where ${scopeConditions(scope, "received_at", "e")} and e.kind = 'join_timing' ${g("e").groupBy}
    ), s as (
      select ${g("s").region}, count(*) as ended_sessions, avg(extract(epoch from s.left_at - s.joined_at)) as mean_session_s
      from analytics_sessions s where ${scopeConditions(scope, "left_at", "s")} ${g("s").groupBy}
    ), m as (
      select per_meeting.region, count(*) as meetings, avg(per_meeting.length_s) as mean_meeting_s
      from (
        select s.meeting_id, ${perMeeting.region}, extract(epoch from max(s.left_at) - min(s.joined_at)) as length_s
        from analytics_sessions s where ${scopeConditions(scope, "left_at", "s")} ${perMeeting.groupBy}
      ) per_meeting
      group by per_meeting.region
    ), a as (
      select ${g("a").region}, count(distinct a.participant) as active_users
      from analytics_active_participants a where ${scopeConditions(scope, "hour", "a")} ${g("a").groupBy}
    ), k as (
      select region from h union select region from j union select region from s union select region from a
    )
    select k.region, ${rollupOf("h")}, j.join_p50_ms, j.join_p95_ms, s.ended_sessions, s.mean_session_s,
      m.meetings, m.mean_meeting_s, a.active_users
    from k
    left join h on h.region is not distinct from k.region
    left join j on j.region is not distinct from k.region
    left join s on s.region is not distinct from k.region
    left join m on m.region is not distinct from k.region
    left join a on a.region is not distinct from k.region
    order by k.region nulls first`;
}

export async function scopeMetrics(db: QueryDatabase, scope: AnalyticsScope, grouping: ScopeGrouping): Promise<ScopeMetricInputs[]> {
  const rows = rowsOf(await db.execute(scopeMetricsStatement(scope, grouping)));
  return rows.map((row) => ({ region: row.region === null ? null : String(row.region), ...metricInputsOf(row) }));
}

/**
 * A page of hourly rows in (hour, meeting, region) order after the cursor: the rollup's own key order, so the
 * primary key index serves it. Each row's exact figures are looked up for that hour alone (lateral), so a page
 * costs its rows, not the range.
 */
export function hourlyPageStatement(scope: AnalyticsScope, page: { limit: number; after?: HourlyCursor | undefined }): SQL {
  const { after } = page;
  const afterCondition = after
    ? sql`and (h.hour, h.meeting_id, h.region) > (${after.hour.toISOString()}::timestamptz, ${after.meetingId}::uuid, ${after.region}::text)`
    : sql``;
  // The range's bounds prune at plan time, the row's hour at run time (each lookup reads one day's partition).
  const sameRow = (alias: string, timeColumn: string) =>
    sql`${scopeConditions(scope, timeColumn, alias)} and ${sql.raw(`${alias}.${timeColumn} >= p.hour
      and ${alias}.${timeColumn} < p.hour + interval '1 hour' and ${alias}.meeting_id = p.meeting_id and ${alias}.region = p.region`)}`;
  return sql`
    with p as (
      select h.hour, h.meeting_id, h.region, ${rollupOf("h")}
      from analytics_hourly h
      where ${scopeConditions(scope, "hour", "h")} ${afterCondition}
      order by h.hour, h.meeting_id, h.region
      limit ${page.limit}
    )
    select to_json(p.hour) #>> '{}' as hour, p.meeting_id, p.region, ${rollupOf("p")},
      j.join_p50_ms, j.join_p95_ms, s.ended_sessions, s.mean_session_s, s.meetings, s.mean_meeting_s, a.active_users
    from p
    left join lateral (
      select ${joinPercentiles} from analytics_events e where ${sameRow("e", "received_at")} and e.kind = 'join_timing'
    ) j on true
    left join lateral (
      select count(*) as ended_sessions, avg(extract(epoch from s.left_at - s.joined_at)) as mean_session_s,
        count(distinct s.meeting_id) as meetings, extract(epoch from max(s.left_at) - min(s.joined_at)) as mean_meeting_s
      from analytics_sessions s where ${sameRow("s", "left_at")}
    ) s on true
    left join lateral (
      select count(*) as active_users from analytics_active_participants a
      where ${scopeConditions(scope, "hour", "a")} and a.hour = p.hour and a.meeting_id = p.meeting_id and a.region = p.region
    ) a on true
    order by p.hour, p.meeting_id, p.region`;
}

export async function hourlyPage(
  db: QueryDatabase,
  scope: AnalyticsScope,
  page: { limit: number; after?: HourlyCursor | undefined },
): Promise<HourlyRow[]> {
  const rows = rowsOf(await db.execute(hourlyPageStatement(scope, page)));
  return rows.map((row) => ({
    hour: new Date(String(row.hour)),
    meetingId: String(row.meeting_id),
    region: String(row.region),
    ...metricInputsOf(row),
  }));
}

/** Sums of nothing come back null: they count as 0 (a ratio over them is then null, decided in core/). */
export const count = (value: unknown) => (value === null || value === undefined ? 0 : Number(value));
export const orNull = (value: unknown) => (value === null || value === undefined ? null : Number(value));

function metricInputsOf(row: Record<string, unknown>): MetricInputs {
  const rollup: RollupSums = {
    samples: count(row.samples),
    mosSamples: count(row.mos_samples),
    mosSum: count(row.mos_sum),
    mosBands: [count(row.mos_band_1), count(row.mos_band_2), count(row.mos_band_3), count(row.mos_band_4), count(row.mos_band_5)],
    rttSamples: count(row.rtt_samples),
    rttSumMs: count(row.rtt_sum_ms),
    jitterSamples: count(row.jitter_samples),
    jitterSumMs: count(row.jitter_sum_ms),
    packets: count(row.packets),
    packetsLost: count(row.packets_lost),
    connectionAttempts: count(row.connection_attempts),
    connectionsJoined: count(row.connections_joined),
    joinTimings: count(row.join_timings),
    joinMsSum: count(row.join_ms_sum),
    drops: count(row.drops),
    sessions: count(row.sessions),
    participantSeconds: count(row.participant_seconds),
    samplesDropped: count(row.samples_dropped),
  };
  return {
    rollup,
    joinPercentiles: { p50Ms: orNull(row.join_p50_ms), p95Ms: orNull(row.join_p95_ms) },
    sessions: {
      sessions: count(row.ended_sessions),
      meanSessionSeconds: orNull(row.mean_session_s),
      meetings: count(row.meetings),
      meanMeetingSeconds: orNull(row.mean_meeting_s),
    },
    activeUsers: count(row.active_users),
  };
}
