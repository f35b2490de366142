import { and, eq, sql, type SQL } from "drizzle-orm";
import type { MeetingId, TenantId } from "../../protocol/ids.ts";
import { meetings } from "../../schema/index.ts";
import type { QueryDatabase } from "../db/database.ts";
import { rowsOf } from "../db/result-rows.ts";
import { type AnalyticsScope, count, orNull, scopeConditions } from "./analytics-repository.ts";
import type { AnalyticsRange } from "./core/analytics-range.ts";
import { type ParticipantSums, qualityRanks } from "./core/participant-metrics.ts";

/** A meeting's own analytics reads: its life span (the range it is read over) and its participants' figures. */

/** A meeting's participants: their samples, drops and sessions in the range, ordered by identity. */
export function participantsStatement(tenantId: TenantId, meetingId: MeetingId, range: AnalyticsRange): SQL {
  const scope: AnalyticsScope = { tenantId, range, meetingId };
  const ranks = sql.join(
    qualityRanks.map((level) => sql`${level}`),
    sql`, `,
  );
  return sql`
    with smp as (
      select sa.participant, count(*) as samples, count(sa.mos) as mos_samples, sum(sa.mos::float8) as mos_sum,
        max(array_position(array[${ranks}]::text[], sa.quality)) as worst_rank,
        count(sa.rtt_ms) as rtt_samples, sum(sa.rtt_ms::float8) as rtt_sum_ms,
        count(sa.jitter_ms) as jitter_samples, sum(sa.jitter_ms::float8) as jitter_sum_ms,
        sum(sa.packets) as packets, sum(sa.packets_lost) as packets_lost
      from analytics_samples sa where ${scopeConditions(scope, "received_at", "sa")}
      group by sa.participant
    ), drp as (
      select e.participant, count(*) as drops
      from analytics_events e where ${scopeConditions(scope, "received_at", "e")} and e.kind = 'drop'
      group by e.participant
    ), ses as (
      select s.participant, count(*) as sessions, sum(extract(epoch from s.left_at - s.joined_at)) as session_seconds
      from analytics_sessions s where ${scopeConditions(scope, "left_at", "s")}
      group by s.participant
    ), act as (
      select a.participant from analytics_active_participants a where ${scopeConditions(scope, "hour", "a")}
    ), people as (
      select participant from smp union select participant from drp union select participant from ses union select participant from act
    )
    select people.participant, smp.samples, smp.mos_samples, smp.mos_sum, smp.worst_rank, smp.rtt_samples, smp.rtt_sum_ms,
      smp.jitter_samples, smp.jitter_sum_ms, smp.packets, smp.packets_lost, drp.drops, ses.sessions, ses.session_seconds
    from people
    left join smp on smp.participant = people.participant
    left join drp on drp.participant = people.participant
    left join ses on ses.participant = people.participant
    order by people.participant`;
}

export async function meetingParticipants(
  db: QueryDatabase,
  tenantId: TenantId,
  meetingId: MeetingId,
  range: AnalyticsRange,
): Promise<ParticipantSums[]> {
  const rows = rowsOf(await db.execute(participantsStatement(tenantId, meetingId, range)));
  return rows.map((row) => ({
    participant: String(row.participant),
    samples: count(row.samples),
    mosSamples: count(row.mos_samples),
    mosSum: count(row.mos_sum),
    worstQualityRank: orNull(row.worst_rank),
    rttSamples: count(row.rtt_samples),
    rttSumMs: count(row.rtt_sum_ms),
    jitterSamples: count(row.jitter_samples),
    jitterSumMs: count(row.jitter_sum_ms),
    packets: count(row.packets),
    packetsLost: count(row.packets_lost),
    drops: count(row.drops),
    sessions: count(row.sessions),
    sessionSeconds: count(row.session_seconds),
  }));
}

/** When the tenant's meeting was created and ended; deleted meetings included (their analytics stay readable). */
export async function findMeetingSpan(
  db: QueryDatabase,
  tenantId: TenantId,
  meetingId: MeetingId,
): Promise<{ createdAt: Date; endedAt: Date | null } | undefined> {
  const [row] = await db
    .select({ createdAt: meetings.createdAt, endedAt: meetings.endedAt })
    .from(meetings)
    .where(and(eq(meetings.tenantId, tenantId), eq(meetings.id, meetingId)));
  return row;
}
