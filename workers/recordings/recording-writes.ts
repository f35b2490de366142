import { and, eq, inArray, sql } from "drizzle-orm";
import type { RecordingRecordEffect } from "../meeting-room/core/recording-state.ts";
import type { CompositionReport } from "../../protocol/recording-composition.ts";
import { chatMessages, recordingRenditions, recordings } from "../../schema/index.ts";
import type { Database, QueryDatabase } from "../db/database.ts";
import { rowsOf } from "../db/result-rows.ts";
import type { DispatcherAddress } from "../webhooks/core/lane-shards.ts";
import type { WebhookFact } from "../webhooks/core/event-catalog.ts";
import { recordWebhookEvents } from "../webhooks/record-event.ts";
import { writeUsage } from "../usage/usage-writer.ts";

/** A stretch of capture, billed as recording time (named by its start, so a retried record bills it once). */
async function billCapture(db: Pick<QueryDatabase, "insert">, keys: RecordingKeys, recordingId: string, since: string | null, until: Date) {
  if (!since) return;
  await writeUsage(
    db,
    keys,
    {
      kind: "recording_seconds",
      quantity: 0,
      sourceId: `recording:${recordingId}:${since}`,
      periodStart: since,
      periodEnd: until.toISOString(),
    },
    "recording",
  );
}

export interface RecordingKeys {
  tenantId: string;
  meetingId: string;
}

/** What the stop hands on: the compositor is invoked with it once the stop has committed. */
export interface StoppedRecording {
  recordingId: string;
  manifestKey: string;
}

/**
 * Writes one change of a recording's life as the room made it (room-recording.ts), with its webhook event, in
 * one transaction. Each is idempotent: a retried outbox record changes nothing twice and records no second event
 * (events are keyed by the recording and the change).
 */
export async function writeRecordingChange(
  db: Database,
  keys: RecordingKeys,
  change: RecordingRecordEffect,
): Promise<{ dispatchers: DispatcherAddress[]; stopped: StoppedRecording | null }> {
  const at = new Date(change.at);
  const row = and(eq(recordings.tenantId, keys.tenantId), eq(recordings.id, change.recordingId));
  const fact = (type: "recording.paused" | "recording.resumed"): WebhookFact => ({
    type,
    data: { recordingId: change.recordingId, by: change.by, at: at.toISOString() },
    ...keys,
    sourceKey: `${type}:${change.recordingId}:${at.getTime()}`,
    occurredAt: at,
  });
  return db.transaction(async (tx) => {
    switch (change.change) {
      case "started": {
        await insertStartedRecording(tx, keys, { id: change.recordingId, by: change.by, at, layout: change.layout, title: change.title });
        const dispatchers = await recordWebhookEvents(tx, [
          {
            type: "recording.started",
            data: { recordingId: change.recordingId, startedBy: change.by, startedAt: at.toISOString(), layout: change.layout },
            ...keys,
            sourceKey: `recording.started:${change.recordingId}`,
            occurredAt: at,
          },
        ]);
        return { dispatchers, stopped: null };
      }
      case "paused": {
        await billCapture(tx, keys, change.recordingId, change.capturedSince, at);
        const paused = await tx
          .update(recordings)
          .set({ status: "paused", pausedAt: at })
          .where(and(row, eq(recordings.status, "recording")))
          .returning({ id: recordings.id });
        return { dispatchers: paused.length ? await recordWebhookEvents(tx, [fact("recording.paused")]) : [], stopped: null };
      }
      case "resumed": {
        const resumed = await tx
          .update(recordings)
          .set({ status: "recording", pausedAt: null, pausedMs: sql`${recordings.pausedMs} + ${pausedMsUntil(at)}` })
          .where(and(row, eq(recordings.status, "paused")))
          .returning({ id: recordings.id });
        return { dispatchers: resumed.length ? await recordWebhookEvents(tx, [fact("recording.resumed")]) : [], stopped: null };
      }
      case "stopped": {
        await billCapture(tx, keys, change.recordingId, change.capturedSince, at);
        await tx
          .update(recordings)
          .set({
            status: "processing",
            manifestKey: change.manifestKey,
            endedAt: at,
            pausedAt: null,
            pausedMs: sql`${recordings.pausedMs} + ${pausedMsUntil(at)}`,
          })
          .where(and(row, inArray(recordings.status, ["pending", "recording", "paused"])));
        return { dispatchers: [], stopped: { recordingId: change.recordingId, manifestKey: change.manifestKey } };
      }
      case "failed": {
        const failed = await tx
          .update(recordings)
          .set({ status: "failed", error: change.reason, endedAt: at, pausedAt: null })
          .where(and(row, inArray(recordings.status, ["pending", "recording", "paused", "processing"])))
          .returning({ id: recordings.id });
        const dispatchers = failed.length ? await recordWebhookEvents(tx, [failedFact(keys, change.recordingId, change.reason, at)]) : [];
        return { dispatchers, stopped: null };
      }
      case "gap": {
        // Listed among the recording's problems at once (the compositor's report adds its own to these); a retried
        // record finds it listed and adds nothing.
        const what = change.reason === "recorder_lost" ? "its recorder was lost" : "the meeting moved to another media server";
        const problem = {
          code: change.reason,
          message: `Nothing was captured from ${change.from} to ${change.to}: ${what}; the recording continued on another recorder`,
        };
        await tx
          .update(recordings)
          .set({ problems: sql`${recordings.problems} || ${JSON.stringify([problem])}::jsonb` })
          .where(and(row, sql`not (${recordings.problems} @> ${JSON.stringify([problem])}::jsonb)`));
        return { dispatchers: [], stopped: null };
      }
      default:
        return change satisfies never;
    }
  });
}

/** The recording's row as it starts; a repeat (the API's and the room's write of one start) inserts nothing. */
export async function insertStartedRecording(
  db: Pick<QueryDatabase, "insert">,
  keys: RecordingKeys,
  start: { id: string; by: string; at: Date; layout: string; title: string },
): Promise<void> {
  await db
    .insert(recordings)
    .values({
      id: start.id,
      tenantId: keys.tenantId,
      meetingId: keys.meetingId,
      status: "recording",
      title: start.title,
      layout: start.layout,
      startedBy: start.by,
      startedAt: start.at,
    })
    // Any conflict: the same start written twice, or (on the API's early write) the meeting's previous recording not
    // yet marked ended; the room's outbox writes the row in order after that.
    .onConflictDoNothing();
}

/** Time paused from `paused_at` up to `at` (0 when not paused). */
const pausedMsUntil = (at: Date) =>
  sql`coalesce(greatest(0, floor(extract(epoch from (${at.toISOString()}::timestamptz - ${recordings.pausedAt})) * 1000)), 0)::bigint`;

function failedFact(keys: RecordingKeys, recordingId: string, error: string, at: Date): WebhookFact {
  return {
    type: "recording.failed",
    data: { recordingId, error, at: at.toISOString() },
    ...keys,
    sourceKey: `recording.failed:${recordingId}`,
    occurredAt: at,
  };
}

/**
 * The compositor's report (protocol/recording-composition.ts): the recording becomes `ready` with its renditions
 * and search document (title, participant names, the meeting's chat while it was recorded), or `failed`. Applied
 * once: a repeated report finds the recording no longer `processing` and changes nothing.
 */
export async function applyCompositionReport(
  db: Database,
  report: CompositionReport,
  now: Date,
): Promise<{ applied: boolean; dispatchers: DispatcherAddress[]; meetingId?: string }> {
  return db.transaction(async (tx) => {
    const [current] = await tx
      .select({ meetingId: recordings.meetingId, status: recordings.status, startedAt: recordings.startedAt, endedAt: recordings.endedAt })
      .from(recordings)
      .where(and(eq(recordings.tenantId, report.tenantId), eq(recordings.id, report.recordingId)))
      .for("update");
    if (!current) return { applied: false, dispatchers: [] };
    const keys = { tenantId: report.tenantId, meetingId: current.meetingId };
    if (current.status !== "processing") return { applied: false, dispatchers: [] };
    if (report.outcome === "failed") {
      await tx
        .update(recordings)
        .set({ status: "failed", error: report.error, problems: withRoomProblems(report.problems) })
        .where(and(eq(recordings.tenantId, report.tenantId), eq(recordings.id, report.recordingId)));
      return { applied: true, dispatchers: await recordWebhookEvents(tx, [failedFact(keys, report.recordingId, report.error, now)]) };
    }
    for (const rendition of report.renditions) {
      await tx
        .insert(recordingRenditions)
        .values({ tenantId: report.tenantId, recordingId: report.recordingId, ...rendition })
        .onConflictDoNothing();
    }
    const main = report.renditions.find((r) => r.kind === "mp4");
    const totalBytes = report.renditions.reduce((sum, r) => sum + r.sizeBytes, 0);
    const names = await participantNames(tx, keys, current.startedAt, current.endedAt);
    const from = current.startedAt ?? new Date(0);
    const to = current.endedAt ?? now;
    await tx
      .update(recordings)
      .set({
        status: "ready",
        readyAt: now,
        durationMs: report.durationMs,
        sizeBytes: totalBytes,
        objectKey: main?.objectKey ?? null,
        problems: withRoomProblems(report.problems),
        participantNames: names,
        // Weighted: title first, then who was in it, then what was said.
        search: sql`setweight(to_tsvector('simple', ${recordings.title}), 'A')
          || setweight(to_tsvector('simple', ${names.join(" ")}), 'B')
          || setweight(to_tsvector('simple', coalesce((
               select string_agg(${chatMessages.body}, ' ' order by ${chatMessages.seq})
               from ${chatMessages}
               where ${chatMessages.tenantId} = ${report.tenantId} and ${chatMessages.meetingId} = ${current.meetingId}
                 and ${chatMessages.deletedAt} is null
                 and ${chatMessages.createdAt} >= ${from.toISOString()}::timestamptz
                 and ${chatMessages.createdAt} <= ${to.toISOString()}::timestamptz), '')), 'C')`,
      })
      .where(and(eq(recordings.tenantId, report.tenantId), eq(recordings.id, report.recordingId)));
    // The composite's length is billed as compositing time (one fact per recording).
    await writeUsage(
      tx,
      keys,
      {
        kind: "composited_seconds",
        quantity: 0,
        sourceId: `composite:${report.recordingId}`,
        periodStart: new Date(now.getTime() - report.durationMs).toISOString(),
        periodEnd: now.toISOString(),
      },
      "recording",
    );
    const dispatchers = await recordWebhookEvents(tx, [
      {
        type: "recording.ready",
        data: {
          recordingId: report.recordingId,
          durationSeconds: report.durationMs / 1000,
          renditions: [...new Set(report.renditions.map((r) => r.kind))],
          problems: report.problems.map(({ code, message, trackId }) => ({ code, message, ...(trackId ? { trackId } : {}) })),
        },
        ...keys,
        sourceKey: `recording.ready:${report.recordingId}`,
        occurredAt: now,
      },
    ]);
    return { applied: true, dispatchers, meetingId: current.meetingId };
  });
}

/** The compositor's problems after the ones the room listed while capturing (gaps), which the report does not know. */
const withRoomProblems = (problems: CompositionReport["problems"]) => sql`${recordings.problems} || ${JSON.stringify(problems)}::jsonb`;

/** Display names (or identities) of everyone present at some point of the recorded span. */
async function participantNames(db: Pick<Database, "execute">, keys: RecordingKeys, from: Date | null, to: Date | null): Promise<string[]> {
  const result = await db.execute(sql`
    select distinct coalesce(display_name, identity) as name from participants
    where tenant_id = ${keys.tenantId} and meeting_id = ${keys.meetingId}
      and joined_at <= ${(to ?? new Date()).toISOString()}::timestamptz
      and (left_at is null or left_at >= ${(from ?? new Date(0)).toISOString()}::timestamptz)
    order by name`);
  return rowsOf(result).map((row) => String(row.name));
}
