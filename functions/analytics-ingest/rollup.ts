import { mosBandOf } from "../../protocol/call-quality.ts";
import type { EventRow, SampleRow, SessionRow } from "./normalize.ts";
import { hourMs, hourStart } from "./partition.ts";

/**
 * What a set of newly stored rows adds to analytics_hourly and analytics_active_participants. The store calls it
 * with the rows its inserts returned (never the batch as sent), so a row stored before adds nothing. Pure.
 */

export interface HourlyKey {
  tenantId: string;
  /** Start of the UTC hour, ms. */
  hour: number;
  meetingId: string;
  region: string;
}

/** The additive columns of analytics_hourly (every average is a sum over a count). */
export interface HourlyTotals {
  samples: number;
  mosSamples: number;
  mosSum: number;
  mosBand1: number;
  mosBand2: number;
  mosBand3: number;
  mosBand4: number;
  mosBand5: number;
  rttSamples: number;
  rttSumMs: number;
  jitterSamples: number;
  jitterSumMs: number;
  packets: number;
  packetsLost: number;
  connectionAttempts: number;
  connectionsJoined: number;
  joinTimings: number;
  joinMsSum: number;
  drops: number;
  sessions: number;
  participantSeconds: number;
  samplesDropped: number;
}

export type HourlyRow = HourlyKey & HourlyTotals;

export interface ActiveParticipant extends HourlyKey {
  participant: string;
}

/** Samples the room dropped, charged to the hour it closed the batch that reports them. */
export interface DroppedSamples extends Omit<HourlyKey, "hour"> {
  at: number;
  count: number;
}

export const emptyTotals = (): HourlyTotals => ({
  samples: 0,
  mosSamples: 0,
  mosSum: 0,
  mosBand1: 0,
  mosBand2: 0,
  mosBand3: 0,
  mosBand4: 0,
  mosBand5: 0,
  rttSamples: 0,
  rttSumMs: 0,
  jitterSamples: 0,
  jitterSumMs: 0,
  packets: 0,
  packetsLost: 0,
  connectionAttempts: 0,
  connectionsJoined: 0,
  joinTimings: 0,
  joinMsSum: 0,
  drops: 0,
  sessions: 0,
  participantSeconds: 0,
  samplesDropped: 0,
});

/**
 * A session's time per UTC hour, from the hour it joined to the hour it left (both included, so a session that
 * ends on an hour's first instant still counts in that hour, with 0 ms). Whole ms: the parts add up exactly.
 */
export function splitSession(joinedAt: number, leftAt: number): { hour: number; ms: number }[] {
  const parts: { hour: number; ms: number }[] = [];
  for (let hour = hourStart(joinedAt); hour <= leftAt; hour += hourMs) {
    parts.push({ hour, ms: Math.max(0, Math.min(leftAt, hour + hourMs) - Math.max(joinedAt, hour)) });
  }
  return parts;
}

export interface Rollup {
  /** One row per key, sorted by key (upserts lock rows in one order, so concurrent batches can't deadlock). */
  hourly: HourlyRow[];
  active: ActiveParticipant[];
}

export function rollup(rows: {
  samples: readonly SampleRow[];
  events: readonly EventRow[];
  sessions: readonly SessionRow[];
  dropped?: DroppedSamples;
}): Rollup {
  const hourly = new Map<string, HourlyRow>();
  const active = new Map<string, ActiveParticipant>();
  const bucket = (key: HourlyKey): HourlyRow => {
    const id = keyString(key);
    let row = hourly.get(id);
    if (!row) {
      row = { tenantId: key.tenantId, hour: key.hour, meetingId: key.meetingId, region: key.region, ...emptyTotals() };
      hourly.set(id, row);
    }
    return row;
  };
  const seen = (key: HourlyKey, participant: string) => {
    const id = `${keyString({ ...key, region: "" })}|${participant}`;
    // The table's key has no region: a participant is active once per meeting and hour.
    if (!active.has(id))
      active.set(id, { tenantId: key.tenantId, hour: key.hour, meetingId: key.meetingId, region: key.region, participant });
  };
  const at = (row: { tenantId: string; meetingId: string; region: string }, time: number): HourlyKey => ({
    tenantId: row.tenantId,
    hour: hourStart(time),
    meetingId: row.meetingId,
    region: row.region,
  });

  for (const sample of rows.samples) {
    const key = at(sample, sample.receivedAt);
    const t = bucket(key);
    t.samples++;
    if (sample.mos !== null) {
      t.mosSamples++;
      t.mosSum += sample.mos;
      t[`mosBand${mosBandOf(sample.mos)}`]++;
    }
    if (sample.rttMs !== null) {
      t.rttSamples++;
      t.rttSumMs += sample.rttMs;
    }
    if (sample.jitterMs !== null) {
      t.jitterSamples++;
      t.jitterSumMs += sample.jitterMs;
    }
    t.packets += sample.packets;
    t.packetsLost += sample.packetsLost;
    seen(key, sample.participant);
  }
  for (const event of rows.events) {
    const key = at(event, event.receivedAt);
    const t = bucket(key);
    switch (event.kind) {
      case "connection_outcome":
        t.connectionAttempts++;
        if (event.outcome === "joined") t.connectionsJoined++;
        break;
      case "join_timing":
        t.joinTimings++;
        t.joinMsSum += event.totalMs ?? 0;
        break;
      case "drop":
        t.drops++;
        break;
      default:
        event.kind satisfies never;
    }
    seen(key, event.participant);
  }
  for (const session of rows.sessions) {
    bucket(at(session, session.leftAt)).sessions++;
    for (const part of splitSession(session.joinedAt, session.leftAt)) {
      const key = at(session, part.hour);
      bucket(key).participantSeconds += part.ms / 1000;
      seen(key, session.participant);
    }
  }
  if (rows.dropped && rows.dropped.count > 0) bucket(at(rows.dropped, rows.dropped.at)).samplesDropped += rows.dropped.count;

  return {
    hourly: [...hourly.values()].sort((a, b) => compareMeetingHour(a, b) || compare(a.region, b.region)),
    active: [...active.values()].sort((a, b) => compareMeetingHour(a, b) || compare(a.participant, b.participant)),
  };
}

const keyString = (k: HourlyKey) => `${k.tenantId}|${k.hour}|${k.meetingId}|${k.region}`;

/** The tables' keys start with tenant, hour, meeting. */
function compareMeetingHour(a: HourlyKey, b: HourlyKey): number {
  return compare(a.tenantId, b.tenantId) || a.hour - b.hour || compare(a.meetingId, b.meetingId);
}

const compare = (a: string, b: string): number => (a === b ? 0 : a < b ? -1 : 1);
