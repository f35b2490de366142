import { describe, expect, it } from "vitest";
import type { RoomRecordEffect } from "./room-records.ts";
import { storedRecordSchema } from "./room-records.ts";

// What a room reads back from storage after a restart: every record kind it writes must parse again (a schema
// that only throws when first used would break every room that holds such a record).
const rid = "7b0c0e1e-3c55-4bb4-9d8e-4e4b7bd3b9f1";
const at = "2026-12-03T12:00:00.000Z";
const effects: RoomRecordEffect[] = [
  { kind: "record_join", identity: "ada", role: "host", name: "Ada", at },
  { kind: "record_leave", identity: "ada", at, reason: "left" },
  { kind: "record_lobby_decision", identity: "bob", decision: "admitted", by: "ada", at },
  { kind: "record_session_end", startedAt: at, endedAt: at, peakParticipants: 2, reason: "idle" },
  {
    kind: "record_usage",
    usage: { kind: "sfu_participant_seconds", quantity: 1000, sourceId: "s", periodStart: at, periodEnd: at },
  },
  { kind: "record_recording", recordingId: rid, at, by: "api", change: "started", layout: "grid", title: "T" },
  { kind: "record_recording", recordingId: rid, at, by: "api", change: "paused", capturedSince: at },
  { kind: "record_recording", recordingId: rid, at, by: "api", change: "resumed" },
  { kind: "record_recording", recordingId: rid, at, by: "room", change: "stopped", manifestKey: "k", capturedSince: null },
  { kind: "record_recording", recordingId: rid, at, by: "api", change: "failed", reason: "recorder: node_unreachable" },
  {
    kind: "record_recording",
    recordingId: rid,
    at,
    by: "room",
    change: "gap",
    reason: "recorder_lost",
    from: at,
    to: at,
    recorderId: "r2",
  },
];

describe("stored records", () => {
  it.each(effects.map((effect) => [`${effect.kind}${"change" in effect ? `:${effect.change}` : ""}`, effect] as const))(
    "%s parses back as written",
    (_, effect) => {
      expect(storedRecordSchema.parse(JSON.parse(JSON.stringify({ id: "r1", effect })))).toEqual({ id: "r1", effect });
    },
  );

  it("refuses a recording change it does not know and a record of no kind", () => {
    expect(
      storedRecordSchema.safeParse({ id: "r1", effect: { kind: "record_recording", recordingId: rid, at, by: "x", change: "rewound" } })
        .success,
    ).toBe(false);
    expect(storedRecordSchema.safeParse({ id: "r1", effect: { kind: "record_nothing" } }).success).toBe(false);
  });
});
