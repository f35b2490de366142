import { and, desc, eq, isNull, lt, ne, sql } from "drizzle-orm";
import { chatMessages, meetingSessions, meetings, outboxDeadLetters, participants } from "../../../schema/index.ts";
import { writeUsage } from "../../usage/usage-writer.ts";
import type { Database, QueryDatabase } from "../../db/database.ts";
import type { ChatMessage } from "../../../protocol/server-frames.ts";
import type { StoredChatMessage } from "../core/chat-log.ts";
import type { RoomEffect } from "../core/room-transition.ts";
import type { PendingRecord } from "../core/room-records.ts";
import type { WebhookFact } from "../../webhooks/core/event-catalog.ts";
import { meetingEndedFact, meetingStartedFact, participantLeftFact } from "../../webhooks/core/meeting-facts.ts";
import {
  dispatcherAddresses,
  recordWebhookEvent,
  recordWebhookEvents,
  type StatementRunner,
  webhookEventsStatement,
} from "../../webhooks/record-event.ts";
import type { DispatcherAddress } from "../../webhooks/core/lane-shards.ts";
import { writeRecordingChange, type StoppedRecording } from "../../recordings/recording-writes.ts";

/** Postgres side of the room: participant rows (they feed billing) and the chat outbox. Each write is idempotent. */
export interface RoomRecordKeys {
  tenantId: string;
  meetingId: string;
}

/** What a record sets going once it committed: a stopped recording is handed to the compositor. */
export interface RecordFollowUps {
  compose(keys: RoomRecordKeys, stopped: StoppedRecording): Promise<void>;
}

/**
 * Writes one outbox record; safe to repeat, because each record carries the id of the row it creates. The webhook
 * events a record reports are written in the same transaction (deduplicated by their source), and the endpoints
 * they are for are returned, to be woken once it committed. A follow-up that fails fails the record, which is
 * written again (idempotently) and followed up again.
 */
export async function writeRecord(
  db: Database,
  keys: RoomRecordKeys,
  record: PendingRecord,
  followUps: RecordFollowUps,
): Promise<DispatcherAddress[]> {
  const { effect, id } = record;
  switch (effect.kind) {
    case "record_recording": {
      const { dispatchers, stopped } = await writeRecordingChange(db, keys, effect);
      if (stopped) await followUps.compose(keys, stopped);
      return dispatchers;
    }
    case "record_join":
      return recordJoin(db, keys, effect, id);
    case "record_leave":
      return recordLeave(db, keys, effect);
    case "record_session_end":
      return recordSessionEnd(db, keys, effect, id);
    case "record_usage":
      await writeUsage(db, keys, effect.usage, "room");
      return [];
    case "record_lobby_decision":
      return recordWebhookEvent(db, {
        type: effect.decision === "admitted" ? "participant.admitted" : "participant.denied",
        data: { identity: effect.identity, by: effect.by, at: effect.at },
        ...keys,
        sourceKey: `lobby:${id}`,
        occurredAt: new Date(effect.at),
      });
    default:
      effect satisfies never;
      return [];
  }
}

/** The meeting's participant rows with no leave yet (of one identity, when given): what a leave closes. */
function openParticipantRows(keys: RoomRecordKeys, identity?: string) {
  return and(
    eq(participants.tenantId, keys.tenantId),
    eq(participants.meetingId, keys.meetingId),
    identity === undefined ? undefined : eq(participants.identity, identity),
    isNull(participants.leftAt),
  );
}

/** What a closed row reports as `participant.left`. */
const closedParticipant = {
  id: participants.id,
  identity: participants.identity,
  joinedAt: participants.joinedAt,
  leftAt: participants.leftAt,
};

async function recordJoin(
  db: Database,
  keys: RoomRecordKeys,
  join: Extract<RoomEffect, { kind: "record_join" }>,
  rowId: string,
): Promise<DispatcherAddress[]> {
  const at = new Date(join.at);
  return db.transaction(async (tx) => {
    // A rejoin after a lost leave must not leave two open rows for one identity.
    const superseded = await tx
      .update(participants)
      .set({ leftAt: at, leaveReason: "superseded" })
      .where(and(openParticipantRows(keys, join.identity), ne(participants.id, rowId)))
      .returning(closedParticipant);
    await tx
      .insert(participants)
      .values({
        id: rowId,
        tenantId: keys.tenantId,
        meetingId: keys.meetingId,
        identity: join.identity,
        displayName: join.name ?? null,
        role: join.role,
        joinedAt: at,
      })
      .onConflictDoNothing({ target: participants.id });
    const started = await tx
      .update(meetings)
      .set({ status: "live", updatedAt: at })
      .where(and(eq(meetings.tenantId, keys.tenantId), eq(meetings.id, keys.meetingId), eq(meetings.status, "scheduled")))
      .returning({ id: meetings.id });
    const facts: WebhookFact[] = [];
    if (started.length) facts.push(meetingStartedFact(keys, at));
    facts.push(...superseded.map((row) => participantLeftFact(keys, row, "superseded")));
    facts.push({
      type: "participant.joined",
      data: { identity: join.identity, name: join.name ?? null, role: join.role, joinedAt: at.toISOString() },
      ...keys,
      sourceKey: `participant.joined:${rowId}`,
      occurredAt: at,
    });
    return recordWebhookEvents(tx, facts);
  });
}

async function recordLeave(
  db: Database,
  keys: RoomRecordKeys,
  leave: Extract<RoomEffect, { kind: "record_leave" }>,
): Promise<DispatcherAddress[]> {
  return db.transaction(async (tx) => {
    const left = await tx
      .update(participants)
      .set({ leftAt: new Date(leave.at), leaveReason: leave.reason })
      .where(openParticipantRows(keys, leave.identity))
      .returning(closedParticipant);
    return recordWebhookEvents(
      tx,
      left.map((row) => participantLeftFact(keys, row, leave.reason)),
    );
  });
}

/**
 * Upserts messages by their room-assigned seq, so a flush retried after a timeout (the write may have
 * landed) or after the DO restarted stores each message exactly once and keeps its latest revision.
 */
/**
 * Writes a batch of chat messages (new ones and edits, upserted by seq) and their `chat.message` events as one
 * statement: atomic without an interactive transaction, so the outbox sends it over Neon's one-shot HTTP path (no
 * WebSocket, startup or SCRAM exchange per flush). The rows travel as one JSON parameter, not a parameter per field:
 * building a hundred-row insert field by field cost the room more than the flush itself.
 */
export async function flushChat(
  db: StatementRunner,
  keys: RoomRecordKeys,
  messages: readonly StoredChatMessage[],
): Promise<DispatcherAddress[]> {
  if (!messages.length) return [];
  const rows = messages.map((m) => ({
    client_message_id: m.clientMessageId,
    seq: m.seq,
    sender_identity: m.sender,
    body: m.body,
    attachments: m.attachments,
    reactions: m.reactions,
    created_at: new Date(m.sentAt).toISOString(),
    edited_at: m.editedAt ? new Date(m.editedAt).toISOString() : null,
    deleted_at: m.deleted ? new Date(m.editedAt ?? m.sentAt).toISOString() : null,
  }));
  const upsert = sql`chat as (
      insert into chat_messages (tenant_id, meeting_id, client_message_id, seq, sender_identity, body, attachments, reactions,
        created_at, edited_at, deleted_at)
      select ${keys.tenantId}, ${keys.meetingId}, r.client_message_id, r.seq, r.sender_identity, r.body, r.attachments, r.reactions,
        r.created_at, r.edited_at, r.deleted_at
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r(client_message_id text, seq bigint, sender_identity text, body text,
        attachments jsonb, reactions jsonb, created_at timestamptz, edited_at timestamptz, deleted_at timestamptz)
      order by r.seq
      on conflict (tenant_id, meeting_id, seq) do update set body = excluded.body, attachments = excluded.attachments,
        reactions = excluded.reactions, edited_at = excluded.edited_at, deleted_at = excluded.deleted_at
    )`;
  // chat.message is opt-in: recorded only when an endpoint wants it, once per message (its seq), never for edits.
  const facts: WebhookFact[] = messages
    .filter((m) => !m.deleted)
    .map((m) => ({
      type: "chat.message" as const,
      data: { seq: m.seq, sender: m.sender, body: m.body, sentAt: new Date(m.sentAt).toISOString() },
      ...keys,
      sourceKey: `chat.message:${keys.meetingId}:${m.seq}`,
      occurredAt: new Date(m.sentAt),
    }));
  if (!facts.length) {
    await db.execute(sql`with ${upsert} select 1`);
    return [];
  }
  return dispatcherAddresses(await db.execute(webhookEventsStatement(facts, { with: upsert, when: sql`true` })));
}

/** Closes the session (feeds usage) and marks the meeting ended if the room ended it on its own (schedule, idle). */
async function recordSessionEnd(
  db: Database,
  keys: RoomRecordKeys,
  end: Extract<RoomEffect, { kind: "record_session_end" }>,
  rowId: string,
): Promise<DispatcherAddress[]> {
  const endedAt = new Date(end.endedAt);
  return db.transaction(async (tx) => {
    await tx
      .insert(meetingSessions)
      .values({
        id: rowId,
        tenantId: keys.tenantId,
        meetingId: keys.meetingId,
        startedAt: new Date(end.startedAt),
        endedAt,
        peakParticipants: end.peakParticipants,
      })
      .onConflictDoNothing({ target: meetingSessions.id });
    await tx
      .update(meetings)
      .set({ status: "ended", endedAt: sql`coalesce(${meetings.endedAt}, ${endedAt.toISOString()}::timestamptz)`, updatedAt: endedAt })
      .where(and(eq(meetings.tenantId, keys.tenantId), eq(meetings.id, keys.meetingId)));
    // Anyone still marked present leaves with the meeting.
    const left = await tx
      .update(participants)
      .set({ leftAt: endedAt, leaveReason: "ended" })
      .where(openParticipantRows(keys))
      .returning(closedParticipant);
    return recordWebhookEvents(tx, [
      ...left.map((row) => participantLeftFact(keys, row, "ended")),
      meetingEndedFact(keys, endedAt, end.reason),
    ]);
  });
}

/** A page of archived chat (seq < beforeSeq), newest first like the room's own history pages. */
export async function readChatHistory(
  db: Database,
  keys: RoomRecordKeys,
  beforeSeq: number,
  limit: number,
): Promise<{ messages: ChatMessage[]; hasMore: boolean }> {
  const rows = await db
    .select()
    .from(chatMessages)
    .where(and(eq(chatMessages.tenantId, keys.tenantId), eq(chatMessages.meetingId, keys.meetingId), lt(chatMessages.seq, beforeSeq)))
    .orderBy(desc(chatMessages.seq))
    .limit(limit + 1);
  const messages = rows.slice(0, limit).map(
    (row): ChatMessage => ({
      seq: row.seq,
      clientMessageId: row.clientMessageId,
      sender: row.senderIdentity,
      body: row.deletedAt ? "" : row.body,
      attachments: row.deletedAt ? [] : row.attachments,
      reactions: row.deletedAt ? {} : row.reactions,
      sentAt: row.createdAt.toISOString(),
      editedAt: row.editedAt?.toISOString() ?? null,
      deleted: row.deletedAt !== null,
    }),
  );
  return { messages, hasMore: rows.length > limit };
}

export interface DeadLetter extends RoomRecordKeys {
  outbox: "chat" | "records";
  recordKey: string;
  attempts: number;
  errorClass: string;
  /** The record as JSON text (null: Postgres refused even that). */
  payload: string | null;
}

/** Sets a record aside for an operator; a repeat of the same record (a retry after a timeout) stores nothing twice. */
export async function writeDeadLetter(db: QueryDatabase, letter: DeadLetter): Promise<void> {
  await db
    .insert(outboxDeadLetters)
    .values(letter)
    .onConflictDoNothing({
      target: [outboxDeadLetters.tenantId, outboxDeadLetters.meetingId, outboxDeadLetters.outbox, outboxDeadLetters.recordKey],
    });
}

/** Whether the database answers at all: tells a record's own failure from an outage when the error has no SQLSTATE. */
export async function databaseAnswers(db: QueryDatabase): Promise<boolean> {
  return db.execute(sql`select 1`).then(
    () => true,
    () => false,
  );
}
