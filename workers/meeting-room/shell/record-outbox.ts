import type { DispatcherAddress } from "../../webhooks/core/lane-shards.ts";
import type { PendingRecord } from "../core/room-records.ts";
import type { OutboxQueue } from "./outbox.ts";
import { writeRecord, type RecordFollowUps } from "./room-persistence.ts";
import type { RoomStore } from "./room-store.ts";

/**
 * A join's record waits this long for the records after it: every flush opens a Postgres connection (WebSocket,
 * TLS, SCRAM; a backend on the server), and one per join slowed the joins behind it (the second of a quiet
 * meeting's took 25–60 ms instead of 5, `npm run bench -- room-fanout`). Webhooks and rows follow by at most this.
 */
export const recordGatherMs = 500;

/**
 * The record outbox: participant joins and leaves, session ends, SFU usage and recording changes, stored as `record:<n>` with the
 * state change that caused them. Written strictly in order (a leave must never overtake its join), one at a
 * time, each with the id of the row it creates so a retry inserts nothing twice.
 */
export function recordOutboxQueue(
  store: Pick<RoomStore, "pendingRecords" | "completeRecords">,
  pokeWebhooks: (dispatchers: DispatcherAddress[]) => void,
  followUps: RecordFollowUps,
): OutboxQueue<PendingRecord> {
  return {
    name: "records",
    ordered: true,
    batchSize: 1,
    gatherMs: recordGatherMs,
    pending: () => store.pendingRecords(),
    keyOf: (record) => record.key,
    deadLetterKey: (record) => `record:${record.id}`,
    write: async (db, keys, records) => {
      // Each record's webhook deliveries committed with it; their dispatchers are woken once it has.
      for (const record of records) pokeWebhooks(await writeRecord(db, keys, record, followUps));
    },
    settle: (written, deadLettered) => store.completeRecords([...written, ...deadLettered]),
  };
}
